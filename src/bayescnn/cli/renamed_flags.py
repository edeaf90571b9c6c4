"""Old command-line flags still accepted: each stores into its replacement's field and
prints its deprecation (name, replacement, the version that removes it) on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from bayescnn.deprecation import Deprecation

__all__ = ["RenamedFlag"]


class RenamedFlag(argparse.Action):
    """An old flag: ``parser.add_argument("--old", dest="new", action=RenamedFlag,
    deprecation=deprecate(...))``; ``switch=True`` for an on/off flag (no value).

    It is hidden from ``--help`` unless given a ``help``.
    """

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        *,
        deprecation: Deprecation,
        switch: bool = False,
        help: str | None = argparse.SUPPRESS,
        **options: Any,
    ) -> None:
        if switch:
            options["nargs"] = 0
        super().__init__(option_strings, dest, help=help, **options)
        self.deprecation = deprecation
        self.switch = switch

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        print(f"warning: {self.deprecation.message}", file=sys.stderr)
        setattr(namespace, self.dest, True if self.switch else values)
