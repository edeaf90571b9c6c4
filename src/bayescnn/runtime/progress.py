"""Progress of long passes: a tqdm bar on a terminal, a logged line every few seconds elsewhere.

When the output is piped (a log file, ``tee``, a batch scheduler) a tqdm bar is either
lost or a wall of carriage returns, so the passes log a line through the
``bayescnn.train`` logger every ``interval`` seconds instead. Where that logger writes is
the application's choice (the command line: stderr and ``train.log``); when nothing
would show an INFO message of it (no logging configured, as in a plain script), the line
goes to stderr, like the bar would.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from tqdm import tqdm

__all__ = [
    "DEFAULT_INTERVAL",
    "ProgressIterable",
    "Ticker",
    "interactive",
    "logged",
    "report",
    "with_progress",
]

log = logging.getLogger("bayescnn.train")

DEFAULT_INTERVAL = 10.0
"""Seconds between two logged progress lines when the output is not a terminal."""

T = TypeVar("T")


def interactive() -> bool:
    """Whether stderr is a terminal a bar can redraw (and not a CI job)."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def logged() -> bool:
    """Whether an INFO message of the ``bayescnn.train`` logger shows anywhere."""
    return log.isEnabledFor(logging.INFO) and log.hasHandlers()


def report(message: str, *args: Any) -> None:
    """Log a progress line (``message % args``) through the ``bayescnn.train`` logger, or
    write it to stderr when that logger would show it nowhere (logging not configured)."""
    if logged():
        log.info(message, *args)
    else:
        print(message % args if args else message, file=sys.stderr, flush=True)


class Ticker:
    """Says when ``interval`` seconds have passed since the start or since it last said so.

    Args:
        interval: seconds between ticks (0: every call ticks).
        clock: a monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(
        self, interval: float = DEFAULT_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.start()

    def start(self) -> None:
        """Restart the count (at the start of a pass)."""
        self.started = self._last = self.clock()

    @property
    def elapsed(self) -> float:
        """Seconds since :meth:`start`."""
        return self.clock() - self.started

    def due(self) -> bool:
        """True once every ``interval`` seconds."""
        now = self.clock()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


def _fraction(done: int, total: int | None) -> str:
    if not total:
        return f"{done}"
    return f"{done}/{total} ({100 * done / total:.0f}%)"


class ProgressIterable(Generic[T]):
    """An iterable that shows its progress each time it is iterated; see :func:`with_progress`.

    Attributes it does not have are the wrapped iterable's (``dataset``, ``sampler``, ...).
    """

    def __init__(
        self,
        iterable: Iterable[T],
        desc: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        enabled: bool = True,
        bar: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.iterable = iterable
        self.desc = desc
        self.interval = interval
        self.enabled = enabled
        self.bar = bar
        self.clock = clock

    def __len__(self) -> int:
        return len(self.iterable)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "iterable":
            raise AttributeError(name)
        return getattr(self.iterable, name)

    def _total(self) -> int | None:
        try:
            return len(self.iterable)  # type: ignore[arg-type]
        except TypeError:
            return None

    def __iter__(self) -> Iterator[T]:
        if not self.enabled:
            yield from self.iterable
            return
        total = self._total()
        if self.bar if self.bar is not None else interactive():
            yield from tqdm(self.iterable, desc=self.desc, total=total, leave=False)
            return
        ticker = Ticker(self.interval, self.clock)
        for done, item in enumerate(self.iterable, start=1):
            yield item
            if ticker.due():
                report("%s: batch %s, %.0f s", self.desc, _fraction(done, total), ticker.elapsed)


def with_progress(
    iterable: Iterable[T],
    desc: str,
    *,
    interval: float = DEFAULT_INTERVAL,
    enabled: bool = True,
    bar: bool | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ProgressIterable[T]:
    """``iterable`` showing its progress: a tqdm bar on a terminal, else a logged line
    (``validation: batch 12/40 (30%), 21 s``) every ``interval`` seconds.

    The result can be iterated again (each pass shows its own progress), so a validation
    loader wrapped once serves every epoch; it has the wrapped iterable's ``len()``.

    Args:
        desc: what the pass is, at the start of each line.
        interval: seconds between logged lines (0: one per batch).
        enabled: False iterates silently (e.g. on every rank but rank 0).
        bar: True draws the tqdm bar, False logs lines; default: the bar on an
            interactive terminal (see :func:`interactive`).
        clock: a monotonic clock in seconds (tests pass a fake one).
    """
    return ProgressIterable(
        iterable, desc, interval=interval, enabled=enabled, bar=bar, clock=clock
    )
