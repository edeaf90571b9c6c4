"""``bayescnn.fit``: train any classifier on any batches by minimising the ELBO.

The engine knows nothing about configs, names or files. It takes a model, iterables of
``(inputs, labels)`` batches, an objective, an optimiser and callbacks; checkpoints,
metrics files, progress bars and the divergence guard are callbacks
(:mod:`bayescnn.train.callbacks`), composed by the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.nn import default_samples, module_device
from bayescnn.seeding import Stream, seeded
from bayescnn.train import distributed
from bayescnn.train.callbacks import ProgressBar
from bayescnn.train.evaluation import evaluate
from bayescnn.train.hooks import Callback, FitState, format_row
from bayescnn.train.objective import ELBO, Progress
from bayescnn.train.step import Objective, TrainStep, default_optimizer

__all__ = ["Callback", "FitState", "fit", "format_row"]

log = logging.getLogger("bayescnn.train")

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def _default_objective(train_loader: Batches) -> ELBO:
    dataset = getattr(train_loader, "dataset", None)
    if dataset is None or not hasattr(dataset, "__len__"):
        raise InvalidArgumentError(
            "fit cannot tell the training set's size from this loader: pass "
            "objective=bayescnn.ELBO(num_train=len(train_set))"
        )
    return ELBO(num_train=len(dataset))


def _set_epoch(loader: Batches, epoch: int) -> None:
    """Tell a loader (or its DistributedSampler) which epoch's order to draw."""
    for owner in (loader, getattr(loader, "sampler", None)):
        if owner is not None and hasattr(owner, "set_epoch"):
            owner.set_epoch(epoch)


def fit(
    model: nn.Module,
    train_loader: Batches,
    valid_loader: Batches | None = None,
    *,
    epochs: int = 10,
    objective: Objective | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device | None = None,
    seed: int | None = None,
    valid_samples: int | None = None,
    amp: bool = False,
    compile: bool = False,
    grad_clip: float = 0.0,
    ddp: bool | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Train ``model`` for ``epochs`` epochs; returns one row of metrics per epoch.

    Args:
        model: any classifier returning logits (or the original code's ``(logits, kl)``);
            with no Bayesian layer it is trained as a plain classifier.
        train_loader, valid_loader: iterables of ``(inputs, labels)`` batches, e.g. a
            ``torch.utils.data.DataLoader``; ``set_epoch`` is called on them (or their
            sampler) when they have it. ``train_loader`` needs ``len()``.
        objective: default ``ELBO(num_train=len(train_loader.dataset))``.
        optimizer: default Adam at :data:`~bayescnn.defaults.LR` (1e-3). ``scheduler``: stepped once per epoch
            (``ReduceLROnPlateau`` with the validation NLL, else the training NLL).
        callbacks: :class:`Callback` s, called in order.
        device: where to train (default: the model's device).
        seed: makes training reproducible without touching the caller's random state:
            every epoch runs on generators seeded from ``(seed, epoch, rank)`` inside
            :func:`torch.random.fork_rng`. ``None`` draws from the caller's state.
        valid_samples: Monte-Carlo samples per validation prediction (None:
            :data:`~bayescnn.defaults.VALID_SAMPLES`, or at most 8 of each member of a
            network of members, :func:`bayescnn.nn.default_samples`).
        amp: bfloat16 autocast for the forward pass. ``compile``: ``torch.compile`` it.
        grad_clip: clip the gradient norm to this value (0: off).
        ddp: wrap in ``DistributedDataParallel`` (default: when a process group of more
            than one process is initialised; loaders must then yield this rank's share).
        progress: show each epoch's and each validation pass's progress on stderr (rank 0):
            a tqdm bar on a terminal, else a line every 10 s and one per epoch
            (:class:`~bayescnn.train.ProgressBar`, :func:`~bayescnn.train.with_progress`;
            through the ``bayescnn.train`` logger when logging is configured). A
            ``ProgressBar`` among ``callbacks`` replaces the default one.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise InvalidArgumentError(f"epochs must be an integer >= 1, got {epochs!r}")
    if not hasattr(train_loader, "__len__"):
        raise InvalidTypeError("train_loader must have a length (len(train_loader))")
    if device is not None:
        model.to(device)
    device = (
        (module_device(model) or torch.device("cpu")) if device is None else torch.device(device)
    )
    dist = distributed.current(device)
    # torch.compile of a module is a module (OptimizedModule); its stubs say only Callable
    forward_model = cast(nn.Module, torch.compile(model)) if compile else model
    if ddp if ddp is not None else dist.enabled:
        forward_model = nn.parallel.DistributedDataParallel(
            forward_model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if progress:
        callbacks, valid_loader = _with_progress(callbacks, valid_loader, dist)
    optimizer = optimizer if optimizer is not None else default_optimizer(model)
    valid_samples = default_samples(model, valid_samples, one_network=defaults.VALID_SAMPLES)
    objective = objective if objective is not None else _default_objective(train_loader)
    state = FitState(
        model, forward_model, optimizer, scheduler, objective, device, dist, epochs, seed
    )
    step = TrainStep(
        model, objective, optimizer, forward_model=forward_model, amp=amp, grad_clip=grad_clip
    )
    for callback in callbacks:
        callback.on_fit_start(state)
    for epoch in range(state.start_epoch, epochs):
        state.epoch = epoch
        started = time.perf_counter()
        for callback in callbacks:
            callback.on_epoch_start(state)
        with seeded(seed, device, epoch=epoch, stream=Stream.NOISE, rank=dist.rank):
            row: dict[str, Any] = {
                "epoch": epoch + 1,
                **_train_epoch(state, step, train_loader, callbacks),
            }
        if valid_loader is not None:
            with seeded(seed, device, epoch=epoch, stream=Stream.VALID, rank=dist.rank):
                valid = evaluate(model, valid_loader, samples=valid_samples, dist=dist)
            row |= {f"valid_{name}": value for name, value in valid.items()}
        row["lr"] = optimizer.param_groups[0]["lr"]
        row["seconds"] = time.perf_counter() - started
        _end_epoch(state, row)
        for callback in callbacks:
            callback.on_epoch_end(state, row)
    for callback in callbacks:
        callback.on_fit_end(state)
    return state.history


def _with_progress(
    callbacks: Sequence[Callback], valid_loader: Batches | None, dist: distributed.Distributed
) -> tuple[Sequence[Callback], Batches | None]:
    """``callbacks`` with a default :class:`ProgressBar` unless they hold one, and the
    validation batches showing their progress."""
    from bayescnn.runtime.progress import ProgressIterable, with_progress

    if not any(isinstance(callback, ProgressBar) for callback in callbacks):
        callbacks = [*callbacks, ProgressBar()]
    if valid_loader is not None and not isinstance(valid_loader, ProgressIterable):
        valid_loader = with_progress(valid_loader, "validation", enabled=dist.is_main)
    return callbacks, valid_loader


def _train_epoch(
    state: FitState, step: TrainStep, loader: Batches, callbacks: Sequence[Callback]
) -> dict[str, float]:
    """One pass over ``loader``; the epoch's mean loss, NLL and accuracy, and its last KL."""
    state.model.train()
    _set_epoch(loader, state.epoch)
    state.steps = len(loader)  # type: ignore[arg-type]
    state.totals = totals = torch.zeros(3, device=state.device)
    examples = 0
    for index, (inputs, labels) in enumerate(loader):
        state.step = index
        inputs = inputs.to(state.device, non_blocking=True)
        labels = labels.to(state.device, non_blocking=True)
        terms = step(inputs, labels, Progress(index, state.steps, state.epoch, state.epochs))
        with torch.no_grad():
            count = labels.shape[0]
            correct = (terms.logits.mean(0).argmax(-1) == labels).sum()
            totals += torch.stack(
                [terms.loss.detach() * count, terms.nll.detach() * count, correct]
            )
            examples += count
        state.kl = terms.kl.detach()
        for callback in callbacks:
            callback.on_step_end(state, terms)
    sums = torch.cat([totals, torch.tensor([float(examples)], device=state.device)])
    if state.dist.enabled:
        torch.distributed.all_reduce(sums)  # sums and counts over all ranks
    loss, nll, correct, count = sums.tolist()
    count = max(count, 1.0)
    kl = float(state.kl) if state.kl is not None else 0.0
    return {
        "train_loss": loss / count,
        "train_nll": nll / count,
        "train_acc": correct / count,
        "train_kl": kl,
    }


def _end_epoch(state: FitState, row: dict[str, Any]) -> None:
    """Step the scheduler, track the best monitored NLL, record and log the row."""
    monitored = row.get("valid_nll", row["train_nll"])
    if isinstance(state.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        state.scheduler.step(monitored)
    elif state.scheduler is not None:
        state.scheduler.step()
    state.improved = monitored < state.best_valid_nll
    if state.improved:
        state.best_valid_nll = monitored
    state.history.append(row)
    log.info("%s", format_row(row))
