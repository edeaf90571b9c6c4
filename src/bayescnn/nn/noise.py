"""Standard normal noise for the estimators, drawn on the tensor's device in its dtype.

On the CPU, PyTorch fills a tensor with normal noise on one core (its Mersenne Twister
is sequential), which made noise generation the largest Bayesian-only cost of a local
reparameterisation step (the documentation's speed results have the numbers). Large CPU tensors
are therefore filled in :data:`CPU_STREAMS` slices, each from its own generator seeded
from the global one, by a small thread pool (``normal_`` releases the GIL). The
slices and their seeds do not depend on the number of threads, so results under
a fixed global seed are the same on every machine; the streams are independent
Mersenne Twisters, so the noise is i.i.d. N(0, 1) as before.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import torch

from bayescnn.seeding import seeded_generator

CPU_STREAMS = 4
"""Slices (and generators) per large CPU tensor: fixed, so results never depend on threads."""
CPU_PARALLEL_MIN_NUMEL = 1 << 18
"""CPU tensors with fewer elements are filled by ``torch.randn`` directly."""
_SEED_BOUND = 2**62

_pool: ThreadPoolExecutor | None = None
_pool_workers = 0


def _thread_pool() -> ThreadPoolExecutor:
    """The pool that fills the slices: ``min(CPU_STREAMS, torch.get_num_threads())`` workers.

    A new pool is started when the thread count changes (``torch.set_num_threads``); the
    old one is dropped, not shut down, so a draw still using it in another thread
    finishes, and its idle workers exit once it is garbage-collected.
    """
    global _pool, _pool_workers
    workers = max(1, min(CPU_STREAMS, torch.get_num_threads()))
    if _pool is None or workers != _pool_workers:
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bayescnn-noise")
        _pool_workers = workers
    return _pool


def _forget_pool_in_child() -> None:
    """A forked child has none of the parent's threads: it starts a pool of its own."""
    global _pool, _pool_workers
    _pool, _pool_workers = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def standard_normal(
    shape: tuple[int, ...] | torch.Size, *, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """A new tensor of i.i.d. N(0, 1) noise, consuming the global generator of ``device``."""
    on_cpu = torch.device(device).type == "cpu"
    if not on_cpu or math.prod(shape) < CPU_PARALLEL_MIN_NUMEL or torch.compiler.is_compiling():
        return torch.randn(shape, device=device, dtype=dtype)  # torch.compile makes its own
    out = torch.empty(shape, device=device, dtype=dtype)
    seeds = torch.randint(0, _SEED_BOUND, (CPU_STREAMS,)).tolist()
    slices = out.view(-1).tensor_split(CPU_STREAMS)

    inference = torch.is_inference_mode_enabled()  # thread-local: carry it to the workers

    def fill(index: int) -> None:
        with torch.inference_mode(inference):
            slices[index].normal_(generator=seeded_generator(seeds[index]))

    list(_thread_pool().map(fill, range(CPU_STREAMS)))
    return out
