"""Schemathesis against the secured service's OpenAPI: no 5xx, and answers match the schema.

Bounded: a few generated examples per operation (no shrinking), sent as an admin (every
route is open to it) to a real server, so the whole run stays well under a minute. The
operations are driven through Hypothesis directly rather than schemathesis' pytest plugin.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from auth_secured import SecuredService
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _exercise(operation: Any, url: str, key: str) -> None:
    @BOUNDED
    @given(case=operation.as_strategy())
    def exercise(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=30
        )

    exercise()


# Schemathesis' own strategies use `random` inside Hypothesis, which Hypothesis deprecates:
# a warning about the tool, not about predledger.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_the_service_answers_every_operation_within_its_schema(secured: SecuredService) -> None:
    schema = schemathesis.openapi.from_url(f"{secured.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _exercise(operation, secured.url, secured.keys["admin"])
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {_describe(exc)}")
    assert operations > 50
    assert failures == [], "\n\n".join(failures)


def _describe(exc: BaseException) -> str:
    parts = [f"{type(exc).__name__}: {str(exc)[:1500]}"]
    parts += [_describe(inner) for inner in getattr(exc, "exceptions", ())]
    return "\n".join(parts)
