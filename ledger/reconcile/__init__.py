"""Reconciliation: discrepancy checks over the journal and against the chain."""
