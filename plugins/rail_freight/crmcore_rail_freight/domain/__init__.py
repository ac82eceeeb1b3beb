"""Pure rules of railway freight key accounts: attrs classes and functions, no I/O."""
