"""Corruption and severity lists as the command line and config files write them."""

from __future__ import annotations

import re

from bayescnn.errors import InvalidArgumentError
from bayescnn.shift.corruptions import CORRUPTIONS, check_severity

__all__ = ["parse_corruptions", "parse_severities"]

_ITEM = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_severities(text: str) -> tuple[int, ...]:
    """``"1-5"``, ``"1,3,5"``, ``"2"`` or ``"1-2,5"`` -> sorted distinct severities.

    Raises:
        InvalidArgumentError: If an item is not a severity or a range ``a-b`` with
            ``a <= b``, or a severity is outside 1-5.
    """
    levels: set[int] = set()
    for item in str(text).split(","):
        match = _ITEM.match(item)
        if match is None:
            raise InvalidArgumentError(
                f"severities must be like 1-5 or 1,3,5 (each from 1 to 5), got {text!r}"
            )
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if low > high:
            raise InvalidArgumentError(f"severity range {item.strip()!r} runs backwards")
        for severity in (low, high):
            check_severity(severity)
        levels.update(range(low, high + 1))
    return tuple(sorted(levels))


def parse_corruptions(text: str) -> list[str]:
    """``"all"`` or comma-separated registered names -> the names, in order, once each.

    Raises:
        UnknownNameError: If a name is not registered (the message lists the choices).
        InvalidArgumentError: If no name is given.
    """
    if str(text).strip().lower() == "all":
        return CORRUPTIONS.names()
    names = [part.strip().lower() for part in str(text).split(",") if part.strip()]
    if not names:
        raise InvalidArgumentError("name at least one corruption, or all")
    for name in names:
        CORRUPTIONS.get(name)
    return list(dict.fromkeys(names))
