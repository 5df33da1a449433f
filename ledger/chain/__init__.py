"""Chain sync: reading BNB Smart Chain logs into ledger-ready events."""
