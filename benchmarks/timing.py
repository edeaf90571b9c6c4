"""Interleaved timing: variants are timed round-robin so that machine drift cancels."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence

import torch


def synchronizer(device: torch.device) -> Callable[[], None]:
    """A function that waits for all queued work on ``device`` (a no-op on the CPU)."""
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def interleaved(
    variants: Mapping[str, Callable[[], object]],
    *,
    rounds: int,
    reps: int | Mapping[str, int] = 1,
    warmup: int = 1,
    sync: Callable[[], None] = lambda: None,
) -> dict[str, list[float]]:
    """Time each variant ``rounds`` times, round-robin, and return seconds per call.

    Every variant is first called ``warmup`` times. Each round then times ``reps``
    consecutive calls of every variant (a mapping gives each variant its own count,
    default 1, so that very short calls are timed over a long enough window); the
    starting variant rotates from round to round so that no variant always runs
    right after the same other one.

    Returns:
        For each variant, one mean time per call (seconds) per round.
    """
    names = list(variants)
    counts = {name: reps if isinstance(reps, int) else reps.get(name, 1) for name in names}
    if rounds < 1 or warmup < 0 or min(counts.values(), default=1) < 1:
        raise ValueError("need rounds >= 1, reps >= 1 and warmup >= 0")
    for name in names:
        for _ in range(warmup):
            variants[name]()
    sync()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            call = variants[name]
            sync()
            start = time.perf_counter()
            for _ in range(counts[name]):
                call()
            sync()
            samples[name].append((time.perf_counter() - start) / counts[name])
    return samples


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def paired_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Median over rounds of ``numerator[i] / denominator[i]`` (same-round pairs)."""
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError("need two equally long, non-empty series")
    return statistics.median(n / d for n, d in zip(numerator, denominator, strict=True))
