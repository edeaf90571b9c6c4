"""Named registries: the one way bayescnn turns a name into an object.

Models, datasets, priors, OOD scores, optimisers and the rest each have a
:class:`Registry`. Users add entries from their own code with the registry's
decorator; an unknown name is an error that lists the choices (and suggests a near
miss), never a silent fallback.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from enum import StrEnum
from typing import Any, Generic, Self, TypeVar, overload

from bayescnn.errors import InvalidArgumentError, UnknownNameError

T = TypeVar("T")
R = TypeVar("R")
D = TypeVar("D")

__all__ = ["Choice", "Registry", "accepted_keywords", "call_with_accepted"]

_MISSING = object()


class Registry(Generic[T]):
    """A mapping from lower-case names to entries of one kind.

    Args:
        kind: What the entries are, for error messages ("model", "dataset", ...).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T, *, replace: bool = False) -> T:
        """Register ``entry`` under ``name``; re-registering a name needs ``replace=True``."""
        key = self._key(name)
        if key in self._entries and not replace and self._entries[key] is not entry:
            raise InvalidArgumentError(
                f"a {self.kind} named {key!r} is already registered; pass replace=True to "
                "replace it"
            )
        self._entries[key] = entry
        return entry

    def register(self, name: str, *, replace: bool = False) -> Callable[[T], T]:
        """Decorator form of :meth:`add`: ``@registry.register("name")``."""

        def decorate(entry: T) -> T:
            return self.add(name, entry, replace=replace)

        return decorate

    @overload
    def get(self, name: str) -> T: ...
    @overload
    def get(self, name: str, default: D) -> T | D: ...
    def get(self, name: str, default: object = _MISSING) -> object:
        """The entry called ``name`` (case-insensitive), else ``default`` if one is given.

        Raises:
            UnknownNameError: naming the choices, and the closest one if any is close.
        """
        key = self._key(name)
        if key in self._entries:
            return self._entries[key]
        if default is not _MISSING:
            return default
        raise UnknownNameError(self.unknown_message(name))

    def unknown_message(self, name: object) -> str:
        """'unknown <kind> <name>; did you mean ...? choose one of ...'."""
        close = difflib.get_close_matches(str(name).lower(), self.names(), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}{hint} (choose one of {', '.join(self.names())})"

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._entries)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __setitem__(self, name: str, entry: T) -> None:
        self.add(name, entry, replace=True)

    def __delitem__(self, name: str) -> None:
        """Unregister ``name`` (KeyError if it is not registered)."""
        del self._entries[self._key(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def _key(self, name: str) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgumentError(
                f"a {self.kind} name must be a non-empty string, got {name!r}"
            )
        return name.strip().lower()


def accepted_keywords(function: Callable[..., Any]) -> set[str] | None:
    """The keywords ``function`` can be called with; None when it takes ``**kwargs``."""
    parameters = inspect.signature(function).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }


def call_with_accepted(
    function: Callable[..., R],
    options: Mapping[str, Any],
    *,
    optional: Collection[str] = (),
    what: str | None = None,
) -> R:
    """Call ``function`` with the ``options`` its signature accepts (all of them when it
    takes ``**kwargs``): registered builders declare only the keywords they use.

    Only the options named in ``optional`` (facts a builder may do without, such as the
    image size, or settings the caller left at their defaults) are left out when the
    function does not take them; any other option it does not take is an error, never
    silently dropped.

    Args:
        function: the builder to call.
        options: keyword arguments for it.
        optional: the names among ``options`` that may be left out.
        what: how errors name the function (e.g. ``"model 'resnet18'"``).

    Raises:
        InvalidArgumentError: naming the options ``function`` does not take and those it does.
    """
    accepted = accepted_keywords(function)
    if accepted is None:
        return function(**options)
    refused = [name for name in options if name not in accepted and name not in optional]
    if refused:
        what = what or getattr(function, "__qualname__", repr(function))
        takes = ", ".join(sorted(accepted)) or "no options"
        raise InvalidArgumentError(
            f"{what} does not take {', '.join(refused)} (it takes: {takes}); leave "
            f"{'it' if len(refused) == 1 else 'them'} at the default, or give the function "
            "a parameter of that name"
        )
    return function(**{key: value for key, value in options.items() if key in accepted})


def _words(name: str) -> str:
    """'ExportFormat' -> 'export format'."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


class Choice(StrEnum):
    """A fixed set of option names (an estimator, an export format) parsed from strings;
    errors name the kind after the class (``ExportFormat`` -> "export format")."""

    @classmethod
    def names(cls) -> list[str]:
        """The members' values, in definition order (as :meth:`Registry.names`)."""
        return [member.value for member in cls]

    @classmethod
    def parse(cls, value: str | Self) -> Self:
        """The member named ``value``, or an UnknownNameError listing the choices."""
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(repr(member.value) for member in cls)
            raise UnknownNameError(
                f"unknown {_words(cls.__name__)} {value!r}; choose one of {choices}"
            ) from None
