"""The ``predledger`` command: thin Typer commands over the library."""
