"""The dashboard's pages (``predledger.dashboard``), served among predledger's routes."""

from predledger.dashboard import router

__all__ = ["router"]
