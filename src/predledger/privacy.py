"""Redacting personal fields from prediction inputs before anything is kept.

    ledger = Ledger(redact={"email": "hash", "ssn": "drop"})

``drop`` removes the field; ``hash`` replaces its value with ``sha256:<hex>`` (an HMAC
keyed by ``PREDLEDGER_REDACTION_KEY`` when set; without a key, a value that can be guessed,
such as an email address, can be found again by hashing guesses). Field names match
case-insensitively, at any depth of the inputs (objects inside objects or lists). Text
inputs have no fields and are kept as they are.

Redaction happens when the record is built, before the journal, the database, the Redis
stream and the JSON log files see it. ``PREDLEDGER_REDACT="email=hash,ssn=drop"`` sets the
rules of ledgers created without ``redact=`` (``predledger serve`` included).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson

from predledger.errors import ConfigurationError

if TYPE_CHECKING:
    from predledger.auth.schemas import Principal
    from predledger.predictions.schemas import PredictionPublic

RedactionAction = Literal["drop", "hash"]
ENV_REDACT: Final = "PREDLEDGER_REDACT"
ENV_REDACTION_KEY: Final = "PREDLEDGER_REDACTION_KEY"
_ACTIONS: Final = ("drop", "hash")


class Redactor:
    """Applies per-field rules to inputs.

    Args:
        rules: field name to ``"drop"`` or ``"hash"``.
        key: the HMAC key of ``hash``; default ``PREDLEDGER_REDACTION_KEY`` (or none).

    Raises:
        ConfigurationError: a rule names an action other than drop or hash.
    """

    def __init__(self, rules: Mapping[str, str], *, key: bytes | None = None) -> None:
        for name, action in rules.items():
            if action not in _ACTIONS:
                raise ConfigurationError(
                    f"redaction of {name!r} must be 'drop' or 'hash', got {action!r}"
                )
        self.rules: dict[str, str] = {name.lower(): action for name, action in rules.items()}
        env_key = os.environ.get(ENV_REDACTION_KEY)
        self.key = key if key is not None else (env_key.encode() if env_key else None)

    def __bool__(self) -> bool:
        return bool(self.rules)

    @classmethod
    def from_env(cls) -> Redactor:
        """The rules of ``PREDLEDGER_REDACT`` (``"email=hash,ssn=drop"``); none when unset."""
        return cls(parse_rules(os.environ.get(ENV_REDACT, "")))

    def inputs(self, inputs: Any) -> Any:
        """A redacted copy of ``inputs`` (the same object when no rule applies)."""
        if not self.rules or not isinstance(inputs, dict | list):
            return inputs
        return self._walk(inputs)

    def apply(self, record: dict[str, Any]) -> None:
        """Redact a record's ``inputs`` in place."""
        if self.rules and "inputs" in record:
            record["inputs"] = self._walk(record["inputs"])

    def _walk(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for name, item in value.items():
                action = self.rules.get(str(name).lower())
                if action == "drop":
                    continue
                out[name] = self.hash_value(item) if action == "hash" else self._walk(item)
            return out
        if isinstance(value, list | tuple):
            return [self._walk(item) for item in value]
        return value

    def hash_value(self, value: Any) -> str:
        """``sha256:<hex>`` of a value (keyed when a redaction key is set)."""
        data = (
            value.encode()
            if isinstance(value, str)
            else orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
        )
        if self.key is not None:
            return "sha256:" + hmac.new(self.key, data, hashlib.sha256).hexdigest()
        return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_rules(text: str) -> dict[str, str]:
    """``"email=hash, ssn=drop"`` as ``{"email": "hash", "ssn": "drop"}``.

    Raises:
        ConfigurationError: an item is not ``name=drop`` or ``name=hash``.
    """
    rules: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, action = item.partition("=")
        if not sep or not name.strip() or action.strip() not in _ACTIONS:
            raise ConfigurationError(
                f"{ENV_REDACT} items read name=drop or name=hash, got {item.strip()!r}"
            )
        rules[name.strip()] = action.strip()
    return rules


def resolve_redactor(redact: Mapping[str, str] | Redactor | None) -> Redactor:
    """The redactor of a ``Ledger(redact=...)`` argument (the environment's when ``None``)."""
    if isinstance(redact, Redactor):
        return redact
    if redact is None:
        return Redactor.from_env()
    return Redactor(redact)


def shown_to(principal: Principal, predictions: list[PredictionPublic]) -> list[PredictionPublic]:
    """The predictions as this caller may see them: without inputs unless they may read them."""
    if principal.can_see_inputs:
        return predictions
    return [p.model_copy(update={"inputs": None}) for p in predictions]
