"""CSV imports with saved column mappings: ``mapping`` (the format), ``parse`` (bytes to typed
rows, every problem named by row and column), ``book`` (preview, then an all-or-nothing
commit). See docs/imports.md."""
