"""One module per dashboard page, each exposing a ``router``."""
