"""The ``ledger`` command-line interface (an adapter over ``ledger``)."""
