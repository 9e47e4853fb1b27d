"""Package attributes imported on first use (PEP 562), so importing a package stays cheap."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_attributes(package: str, sources: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each name in ``sources`` from its module.

    Args:
        package: the package's ``__name__``, for the error message.
        sources: attribute name → the module that defines it.
    """

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module), name)

    return __getattr__
