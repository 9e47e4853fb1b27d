"""What executes an action: a handler per action type.

Built in: ``rollback`` and ``promote`` act on the registry, in the same transaction that
marks the action executed. ``retrain`` has no built-in handler, because retraining is the
user's own code: register a Python callable, or a webhook that starts the job::

    from predledger.actions import handlers

    handlers.register_action_handler("retrain", lambda ctx: {"job": start_training(ctx.action)})
    handlers.register_action_handler("retrain", handlers.webhook_handler("https://ci/retrain"))

or set ``PREDLEDGER_RETRAIN_WEBHOOK`` for the service. A handler returns a JSON-ready dict
(stored as the execution result) or ``None``; an exception marks the action failed, with the
error stored.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from predledger.actions.schemas import ActionPublic
from predledger.alerts.webhooks import post_webhook
from predledger.errors import ConfigurationError, InvalidRecordError

ENV_RETRAIN_WEBHOOK = "PREDLEDGER_RETRAIN_WEBHOOK"


@dataclass(frozen=True)
class ActionContext:
    """What a handler gets: the action, who executes it, and the open session."""

    session: Session
    action: ActionPublic
    actor: str
    allow_private_webhooks: bool = False

    def parameter(self, name: str, default: Any = None) -> Any:
        """A parameter of the action."""
        return self.action.parameters.get(name, default)

    def model(self) -> str:
        """The model the action is about (``parameters["model"]`` or the action's model).

        Raises:
            InvalidRecordError: the action names no model.
        """
        model = self.parameter("model") or self.action.model
        if not model:
            raise InvalidRecordError(
                "parameters.model",
                "this action needs the model it acts on: propose it again with model set",
            )
        return str(model)


ActionHandler = Callable[[ActionContext], Mapping[str, Any] | None]


class ActionFailedError(Exception):
    """Raised by a handler to fail an action with a message (any exception does too)."""


def _rollback(context: ActionContext) -> dict[str, Any]:
    from predledger.registry import service

    result = service.rollback_model(
        context.session,
        name=context.model(),
        actor=context.actor,
        to_version=context.parameter("to_version"),
        reason=f"action #{context.action.id}",
    )
    replaced = None if result.replaced is None else result.replaced.version
    return {"model": result.active.name, "active_version": result.active.version,
            "replaced_version": replaced}  # fmt: skip


def _promote(context: ActionContext) -> dict[str, Any]:
    from predledger.registry import service

    version = context.parameter("version")
    if not version:
        raise InvalidRecordError("parameters.version", "a promote action needs the version")
    result = service.promote_version(
        context.session, name=context.model(), version=str(version), actor=context.actor,
        reason=f"action #{context.action.id}",
    )  # fmt: skip
    replaced = None if result.replaced is None else result.replaced.version
    return {"model": result.active.name, "active_version": result.active.version,
            "replaced_version": replaced}  # fmt: skip


def webhook_handler(url: str, *, timeout: float = 10.0) -> ActionHandler:
    """A handler that POSTs the action to ``url`` and fails unless it answers 2xx."""

    def post(context: ActionContext) -> dict[str, Any]:
        payload = {"event": "action.execute", "actor": context.actor,
                   "action": context.action.model_dump(mode="json")}  # fmt: skip
        result = post_webhook(
            url, payload, allow_private=context.allow_private_webhooks, timeout=timeout
        )
        if not result.ok:
            raise ActionFailedError(f"webhook {url}: {result.error}")
        return {"webhook": url, "status_code": result.status_code}

    return post


class ActionHandlers:
    """The handlers of one process, by action type."""

    def __init__(self, handlers: Mapping[str, ActionHandler] | None = None) -> None:
        self._handlers: dict[str, ActionHandler] = dict(handlers or {})
        self._lock = threading.Lock()

    def register(self, action_type: str, handler: ActionHandler) -> None:
        """Register (or replace) the handler of ``action_type``."""
        with self._lock:
            self._handlers[action_type] = handler

    def unregister(self, action_type: str) -> None:
        """Forget the handler of ``action_type`` (nothing happens if there is none)."""
        with self._lock:
            self._handlers.pop(action_type, None)

    def types(self) -> list[str]:
        """The action types that can be executed."""
        with self._lock:
            return sorted(self._handlers)

    def get(self, action_type: str) -> ActionHandler:
        """The handler of ``action_type``.

        Raises:
            ConfigurationError: no handler is registered; the message says how to add one.
        """
        with self._lock:
            handler = self._handlers.get(action_type)
        if handler is None and action_type == "retrain" and os.environ.get(ENV_RETRAIN_WEBHOOK):
            handler = webhook_handler(os.environ[ENV_RETRAIN_WEBHOOK])
        if handler is None:
            raise ConfigurationError(
                f"no handler executes {action_type!r} actions in this process (handlers: "
                f"{', '.join(self.types())}): register one with predledger.actions.handlers."
                f"register_action_handler({action_type!r}, fn)"
                + (f" or set {ENV_RETRAIN_WEBHOOK}" if action_type == "retrain" else "")
            )
        return handler


DEFAULT_HANDLERS = ActionHandlers({"rollback": _rollback, "promote": _promote})


def register_action_handler(action_type: str, handler: ActionHandler) -> None:
    """Register the handler that executes ``action_type`` actions in this process."""
    DEFAULT_HANDLERS.register(action_type, handler)


def unregister_action_handler(action_type: str) -> None:
    """Remove the handler of ``action_type`` from this process."""
    DEFAULT_HANDLERS.unregister(action_type)
