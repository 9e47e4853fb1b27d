"""predledger's HTTP API: the app factory and the routers it serves."""

from predledger.api.app import create_app

__all__ = ["create_app"]
