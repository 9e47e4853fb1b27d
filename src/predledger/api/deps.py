"""Dependencies of predledger's routes: the app's state, its ledger, a read session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from predledger.api.state import ServiceState
from predledger.errors import ConfigurationError
from predledger.ingest.ledger import Ledger


def get_state(request: Request) -> ServiceState:
    """The predledger state of the app answering the request."""
    state = getattr(request.app.state, "predledger", None)
    if not isinstance(state, ServiceState):
        raise ConfigurationError(
            "predledger's routes are mounted on an app that was not instrumented: "
            "call predledger.integrations.fastapi.instrument(app, ledger) first"
        )
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_ledger(state: StateDep) -> Ledger:
    """The app's ledger."""
    return state.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def get_session(ledger: LedgerDep) -> Iterator[Session]:
    """A session for the request, committed when the route returns."""
    with ledger.store.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
