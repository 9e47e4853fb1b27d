"""The store: engines, sessions, the declarative base and the migrations."""

from predledger.store.engine import Store

__all__ = ["Store"]
