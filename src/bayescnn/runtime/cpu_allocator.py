"""Keep freed CPU tensor memory in the process, so large temporaries do not page-fault.

glibc's malloc serves blocks above its mmap threshold (128 KiB, raised adaptively up
to 32 MiB) with fresh ``mmap`` pages and returns them to the OS on ``free``. A
Monte-Carlo pass allocates many activation-sized temporaries (noise, means, variances),
so every one of them faults its pages in again, which slows elementwise operations and
training steps measurably (the documentation's speed results have the numbers).
:func:`tune_cpu_allocator` raises the mmap
threshold to its maximum and keeps freed memory for reuse (``mallopt``), the same effect
as the ``MALLOC_*_`` environment variables or preloading jemalloc/tcmalloc that CPU
tuning guides for PyTorch recommend. The ``bayescnn`` command and the benchmarks call it.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
"""Blocks up to this size come from the heap (glibc's largest allowed value on 64-bit)."""
TRIM_THRESHOLD = 1024 * 1024 * 1024
"""Free memory at the top of the heap is returned to the OS only beyond this size."""
OPT_OUT = "BAYESCNN_KEEP_MALLOC"
"""Set this environment variable to 1 to leave the allocator's settings alone."""


def tune_cpu_allocator() -> bool:
    """Apply the settings above to glibc's malloc; return whether they were applied.

    Does nothing (returns False) off Linux, without glibc, when ``BAYESCNN_KEEP_MALLOC=1``,
    or when the user already set glibc's ``MALLOC_MMAP_THRESHOLD_`` or
    ``MALLOC_TRIM_THRESHOLD_``. Memory stays bounded by the peak the program reached.
    """
    if not sys.platform.startswith("linux") or os.environ.get(OPT_OUT) == "1":
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    settings = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return all(mallopt(param, value) == 1 for param, value in settings)
