"""Integrations with web frameworks; ``predledger.integrations.fastapi`` for FastAPI."""
