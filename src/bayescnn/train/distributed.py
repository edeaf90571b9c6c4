"""torch.distributed plumbing: which process this is, and gathering results across ranks.

Launch with ``torchrun --nproc_per_node=N -m bayescnn.cli.main train ...``: torchrun sets
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``; one process per GPU (NCCL) or per CPU
worker (gloo). Without them everything runs in one process and nothing here talks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import NoReturn

import torch
import torch.distributed as dist

from bayescnn.runtime.device import resolve_device

__all__ = [
    "Distributed",
    "current",
    "exit_process",
    "joined_a_group",
    "resolve_device",
    "setup",
    "teardown",
]


@dataclass(frozen=True)
class Distributed:
    """This process's place in the job."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes logs, checkpoints and reports."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def shard(self, count: int) -> range:
        """This rank's examples of an evaluation set: ``rank::world_size``, no padding, so
        that gathered results count every example exactly once."""
        return range(self.rank, count, self.world_size)

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Concatenate every rank's rows (sizes may differ by one) in rank order."""
        if not self.enabled:
            return rows
        size = torch.tensor([rows.shape[0]], device=rows.device)
        sizes = [torch.zeros_like(size) for _ in range(self.world_size)]
        dist.all_gather(sizes, size)
        largest = int(max(s.item() for s in sizes))
        padded = torch.zeros((largest, *rows.shape[1:]), dtype=rows.dtype, device=rows.device)
        padded[: rows.shape[0]] = rows
        gathered = [torch.zeros_like(padded) for _ in range(self.world_size)]
        dist.all_gather(gathered, padded)
        return torch.cat([g[: int(s.item())] for g, s in zip(gathered, sizes, strict=True)])

    def unshard(self, rows: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`shard`: rows gathered in rank order back into example order."""
        if not self.enabled:
            return rows
        order = torch.cat(
            [torch.arange(r, rows.shape[0], self.world_size) for r in range(self.world_size)]
        )
        restored = torch.empty_like(rows)
        restored[order.to(rows.device)] = rows
        return restored


def current(device: torch.device) -> Distributed:
    """This process's place in an initialised process group (one process if none)."""
    if dist.is_available() and dist.is_initialized():
        return Distributed(dist.get_rank(), dist.get_world_size(), device)
    return Distributed(0, 1, device)


def setup(device_name: str) -> Distributed:
    """Join the process group when launched by torchrun, and pick this rank's device.

    Args:
        device_name: 'auto', 'cpu', 'cuda' or 'cuda:N' ('auto'/'cuda' become
            ``cuda:LOCAL_RANK`` under torchrun).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name)
    if device.type == "cuda":
        if device.index is None:
            device = torch.device(
                "cuda", local_rank if world_size > 1 else torch.cuda.current_device()
            )
        torch.cuda.set_device(device)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        global _joined
        _joined = True
    return Distributed(rank, world_size, device)


_joined = False


def joined_a_group() -> bool:
    """Whether :func:`setup` joined a process group in this process."""
    return _joined


def teardown(ctx: Distributed) -> None:
    """Leave the process group once every rank has reached this point.

    A process that trained through ``DistributedDataParallel`` should then end with
    :func:`exit_process`: torch keeps that process group alive past its destruction.

    Without the barrier a rank that finished first tore its gloo group down while
    another was still writing, and about 1 exit in 7 aborted ("terminate called
    without an active exception"); with it, 0 of 75 (``tests/train/test_distributed.py``).
    """
    if ctx.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def exit_process(code: int) -> NoReturn:
    """End a process that joined a process group, without interpreter finalization.

    ``DistributedDataParallel`` keeps a reference to the gloo process group that
    :func:`torch.distributed.destroy_process_group` does not release: after it, gloo's
    three native threads (``gloo_tcp_loop`` and two ``pt_gloo_runloop``) still run (measured
    on torch 2.14; none remain when no DDP was built). They were then torn down while the
    interpreter finalized, after the peer process had closed its sockets, and about one
    exit in 15 of a two-process ``bayescnn train`` under torchrun aborted there
    ("terminate called without an active exception", no Python frame left). Everything
    the command writes is on disk before this point (files are closed, written
    atomically); this flushes the standard streams and the log handlers and leaves with
    ``os._exit``, so no finalizer runs on the leaked group. Only the command line, which
    owns its process, calls it.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
