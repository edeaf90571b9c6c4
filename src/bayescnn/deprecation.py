"""The one way bayescnn deprecates a name: every old alias and keyword goes through here.

Each deprecated name is registered in :data:`DEPRECATED` when its module is imported,
and using it warns once per calling line with a :class:`BayesCNNDeprecationWarning`
that names the old name, its replacement and the version that removes it
(:data:`REMOVED_IN`)::

    bayescnn.predict(model, x, method="entropy")
    # BayesCNNDeprecationWarning: bayescnn.predict(method=...) is deprecated and will be
    # removed in bayescnn 0.3.0; use bayescnn.predict(decomposition=...) instead

The warning is a :class:`DeprecationWarning`, as PEP 565, NumPy and Lightning use for a
renamed API: it is aimed at the author of the calling code, so Python shows it where
that code runs in ``__main__`` (a script, a notebook) and under pytest, and hides it
from the users of an application built on bayescnn, who cannot act on it. The command
line, whose user can, prints the same words on stderr for its old flags.

The tools, one per kind of old name:

- :func:`renamed_keyword`: a decorator for a renamed keyword argument;
- :func:`module_getattr`: a module ``__getattr__`` for renamed or moved module attributes;
- :func:`renamed_function`: an old name of a function (or class) that warns when called;
- :func:`renamed_attribute`: an old name of an attribute of a class (a property);
- :func:`deprecate`: any other old name (a config key, a command-line flag); its
  :meth:`Deprecation.warn` and :attr:`Deprecation.message` do the rest.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bayescnn.errors import InvalidArgumentError

__all__ = [
    "DEPRECATED",
    "REMOVED_IN",
    "BayesCNNDeprecationWarning",
    "Deprecation",
    "deprecate",
    "module_getattr",
    "renamed_attribute",
    "renamed_function",
    "renamed_keyword",
]

F = TypeVar("F", bound=Callable[..., Any])

REMOVED_IN = "0.3.0"
"""The version that removes every name deprecated in this one."""


class BayesCNNDeprecationWarning(DeprecationWarning):
    """A deprecated bayescnn name was used; the message names its replacement."""


@dataclass(frozen=True)
class Deprecation:
    """One deprecated name.

    Attributes:
        old: The old name as the user writes it (``bayescnn.runs.load_run``,
            ``bayescnn.predict(method=...)``, ``bayescnn train --objective``).
        new: Its replacement, written the same way.
        note: Why, or what differs, in a few words (may be empty).
        removed_in: The version that removes it.
    """

    old: str
    new: str
    note: str = ""
    removed_in: str = REMOVED_IN

    @property
    def message(self) -> str:
        """The words of the warning: the old name, the new one and the removal version."""
        text = (
            f"{self.old} is deprecated and will be removed in bayescnn {self.removed_in}; "
            f"use {self.new} instead"
        )
        return f"{text} ({self.note})" if self.note else text

    def warn(self, stacklevel: int = 1) -> None:
        """Warn as :func:`warnings.warn` does: ``stacklevel`` 1 points at the caller."""
        warnings.warn(self.message, BayesCNNDeprecationWarning, stacklevel=stacklevel + 1)


DEPRECATED: dict[str, Deprecation] = {}
"""Every deprecated name of the imported modules, by its old name."""


def deprecate(old: str, new: str, note: str = "") -> Deprecation:
    """Register the old name ``old`` of ``new`` and return its :class:`Deprecation`.

    Registering the same name again (a module reloaded) returns the same entry.

    Raises:
        InvalidArgumentError: If ``old`` is already registered with another replacement.
    """
    entry = Deprecation(old, new, note)
    known = DEPRECATED.setdefault(old, entry)
    if known != entry:
        raise InvalidArgumentError(f"{old} is already deprecated in favour of {known.new}")
    return known


def renamed_keyword(function: str, old: str, new: str, note: str = "") -> Callable[[F], F]:
    """A decorator that accepts keyword ``old`` as the deprecated name of ``new``.

    ``old=None`` counts as not given (the old signatures' default). The decorated
    function's signature shows ``new`` only.

    Args:
        function: The function's public name, for the message (``bayescnn.predict``).
        old: The old keyword.
        new: The keyword that replaces it.
        note: Why, in a few words.

    Raises:
        InvalidArgumentError: (from the decorated function) If both are given.
    """
    entry = deprecate(f"{function}({old}=...)", f"{function}({new}=...)", note)

    def decorate(wrapped: F) -> F:
        @functools.wraps(wrapped)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                value = kwargs.pop(old)
                if value is not None:
                    if new in kwargs:
                        raise InvalidArgumentError(
                            f"{function} got both {new}= and its deprecated name {old}=; "
                            f"give {new}= only"
                        )
                    entry.warn(stacklevel=2)
                    kwargs[new] = value
            return wrapped(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def module_getattr(module: str, renamed: dict[str, str], note: str = "") -> Callable[[str], Any]:
    """A module ``__getattr__`` that serves each old attribute with a warning.

    Args:
        module: The module's name (its ``__name__``).
        renamed: Old attribute name -> the full name of what replaces it
            (``"bayescnn.data.load_ood_set"``), imported when first used.
        note: Why, in a few words.
    """
    entries = {old: deprecate(f"{module}.{old}", new, note) for old, new in renamed.items()}

    def getattr_(name: str) -> Any:
        if name not in entries:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        entry = entries[name]
        entry.warn(stacklevel=2)
        owner, _, attribute = entry.new.rpartition(".")
        return getattr(importlib.import_module(owner), attribute)

    return getattr_


def renamed_function(old: str, new: str, function: F, note: str = "") -> F:
    """The old name ``old`` of ``function`` (public name ``new``): it warns when called.

    For a class this gives a function that builds it (not the class itself); a class
    that must stay a class is renamed with :func:`module_getattr` instead.
    """
    entry = deprecate(old, new, note)

    @functools.wraps(function)
    def alias(*args: Any, **kwargs: Any) -> Any:
        entry.warn(stacklevel=2)
        return function(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old.rpartition(".")[2]
    alias.__doc__ = f"Deprecated name of :func:`{new}`, removed in {REMOVED_IN}."
    return alias  # type: ignore[return-value]


def renamed_attribute(old: str, new: str, note: str = "") -> property:
    """A read-only property: the old name ``Class.old`` of attribute ``Class.new``.

    Args:
        old: The old attribute's public name (``bayescnn.ELBO.objective``).
        new: The new one's, in the same class (``bayescnn.ELBO.likelihood``).
        note: Why, in a few words.
    """
    entry = deprecate(old, new, note)
    attribute = new.rpartition(".")[2]

    def getter(self: Any) -> Any:
        entry.warn(stacklevel=2)
        return getattr(self, attribute)

    return property(getter, doc=f"Deprecated name of :attr:`{attribute}`, removed in {REMOVED_IN}.")
