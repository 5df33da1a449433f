"""The charity sale ledger's framework-free core: catalogue, journal and the rules around them."""
