"""Where and how a process runs: its device (:func:`resolve_device`), the CPU allocator's
tuning (:func:`tune_cpu_allocator`) and the progress of long passes (:func:`with_progress`).

The command line and the benchmarks use these; the library's engine uses progress. Only a
program that owns its process (the command line, a benchmark, a user's script) should call
:func:`tune_cpu_allocator`.
"""

from bayescnn.runtime.cpu_allocator import tune_cpu_allocator
from bayescnn.runtime.device import resolve_device
from bayescnn.runtime.progress import ProgressIterable, Ticker, interactive, with_progress

__all__ = [
    "ProgressIterable",
    "Ticker",
    "interactive",
    "resolve_device",
    "tune_cpu_allocator",
    "with_progress",
]
