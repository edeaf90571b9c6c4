"""The ``bayescnn`` command line: a thin user of the library, and the only part of
bayescnn that sets process-wide state (logging, the CPU allocator, process groups)."""

from bayescnn.runtime.cpu_allocator import tune_cpu_allocator

__all__ = ["tune_cpu_allocator"]
