"""Old names of the uncertainty API kept for one release, each with a DeprecationWarning.

"Method" used to name a decomposition (softmax / normalized / entropy) here, while the
rest of bayescnn calls a compared run or ensemble a method; the decompositions are now
called decompositions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from bayescnn.errors import InvalidArgumentError

__all__ = ["module_getattr", "renamed_keyword"]


def _warn(old: str, new: str, stacklevel: int) -> None:
    """Warn the caller ``stacklevel`` frames above the one that calls this."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )


def module_getattr(module: str, renamed: dict[str, tuple[str, Any]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that gives ``renamed[old] = (new, value)`` with a warning."""

    def getattr_(name: str) -> Any:
        if name in renamed:
            new, value = renamed[name]
            _warn(f"{module}.{name}", f"{module}.{new}", stacklevel=2)
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return getattr_


def renamed_keyword(
    function: str, old: str, new: str, old_value: Any, value: Any, default: Any
) -> Any:
    """The value of keyword ``new``, or of its deprecated name ``old`` (with a warning
    pointing at the caller of ``function``; ``old_value`` is ``None`` when not given).

    Raises:
        InvalidArgumentError: If both are given with different values.
    """
    if old_value is None:
        return value
    _warn(f"{function}({old}=...)", f"{function}({new}=...)", stacklevel=3)
    if value != default and value != old_value:
        raise InvalidArgumentError(
            f"{function} got both {new}={value!r} and the deprecated {old}={old_value!r}; "
            f"give {new} only"
        )
    return old_value
