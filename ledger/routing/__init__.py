"""Proceeds routing: split rules, allocation of what was received, disbursements.

``allocate`` is pure arithmetic; ``rules`` picks the rule in force; ``attribute`` links a
journal entry to the catalogue; ``route`` posts allocations; ``disburse`` records payouts.
See docs/routing.md.
"""
