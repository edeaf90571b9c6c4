"""Quality at the same budget: every peer trained by the same loop, evaluated by one function.

The loop is :mod:`benchmarks.plain_loop`'s (Adam lr 1e-3, batch 256, shuffled
``InMemoryLoader`` of Fashion-MNIST at 32x32) with each peer's own loss. The evaluation
takes a callable that draws ``S`` samples of logits for a batch, and reduces them with
bayescnn's own reading of logit samples (:func:`bayescnn.uncertainty.predict_from_logits`,
the second half of ``bayescnn.predict_loader``), so that every library's accuracy, NLL, ECE
and mutual-information AUROC are computed by the same code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from bayescnn.data import (
    InMemoryLoader,
    evaluation_loader,
    get_spec,
    load_dataset,
    load_ood_set,
)
from bayescnn.metrics import accuracy, calibration_error, nll, ood_detection
from bayescnn.uncertainty import Prediction, predict_from_logits
from benchmarks.peers.libraries import IMAGE_SIZE, PEERS

DATASET = "fashion-mnist"
OOD_SET = "digits"
BATCH_SIZE = 256
LR = 1e-3
SAMPLES = 25
SCORES = ("mutual_info", "entropy")

BatchDraw = Callable[[Tensor, int], Tensor]
"""``draw(inputs, S)``: ``S`` samples of logits ``(S, B, K)`` of one batch."""


def sampled_prediction(
    draw: BatchDraw, batches: Iterable[tuple[Tensor, Tensor]], samples: int = SAMPLES
) -> Prediction:
    """The prediction of every batch's logit samples from ``draw`` (under
    ``torch.no_grad()``), read as bayescnn reads its own (no temperature)."""

    def drawn() -> Iterator[tuple[Tensor, Tensor]]:
        with torch.no_grad():
            for inputs, labels in batches:
                yield draw(inputs, samples), labels.long().cpu()

    return predict_from_logits(None, drawn(), decomposition="none", scores=SCORES)


def evaluate(
    draw: BatchDraw,
    test: Iterable[tuple[Tensor, Tensor]],
    ood: Iterable[tuple[Tensor, Tensor]],
    samples: int = SAMPLES,
) -> dict[str, float]:
    """Accuracy, NLL, ECE on ``test`` and the OOD AUROC of mutual information and of
    entropy, ``test`` against ``ood``, each from ``samples`` draws."""
    pred_in = sampled_prediction(draw, test, samples)
    pred_out = sampled_prediction(draw, ood, samples)
    assert pred_in.labels is not None
    return {
        "accuracy": accuracy(pred_in.probs, pred_in.labels),
        "nll": nll(pred_in.probs, pred_in.labels),
        "ece": calibration_error(pred_in.probs, pred_in.labels).ece,
        **{
            f"auroc_{name}": ood_detection(pred_in.scores[name], pred_out.scores[name]).auroc
            for name in SCORES
        },
    }


def train(
    model: nn.Module, loss: Callable[[Tensor, Tensor], Tensor], loader: InMemoryLoader, epochs: int
) -> float:
    """Adam (lr 1e-3) on ``loss`` for ``epochs`` passes over ``loader``; returns seconds."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        loader.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad()
            loss(x, y).backward()
            optimizer.step()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Task:
    """One quality run."""

    peer: str
    weighting: str
    seed: int
    epochs: int
    device: str
    data_dir: str | None = None
    limit_train: int | None = None
    limit_test: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        """What identifies a finished run in the JSON (resuming skips it)."""
        return (self.peer, self.weighting, self.seed)


_DATA: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _data(task: Task) -> tuple[Any, ...]:
    """Train, test and OOD data (cached per process)."""
    key = (task.data_dir, task.limit_train, task.limit_test)
    if key not in _DATA:
        train_data, test_data = load_dataset(DATASET, task.data_dir, image_size=IMAGE_SIZE)
        if task.limit_train is not None:
            train_data = train_data.subset(torch.arange(min(task.limit_train, len(train_data))))
        if task.limit_test is not None:
            test_data = test_data.subset(torch.arange(min(task.limit_test, len(test_data))))
        ood = load_ood_set(
            OOD_SET, like=test_data, data_dir=task.data_dir, seed=0, limit=task.limit_test
        )
        _DATA[key] = (train_data, test_data, ood)
    return _DATA[key]


def run_task(task: Task) -> dict[str, Any]:
    """Train one peer with one weighting and seed, then evaluate it (25 samples)."""
    train_data, test_data, ood_data = _data(task)
    spec = get_spec(DATASET)
    norm = {"mean": spec.mean, "std": spec.std}
    device = torch.device(task.device)
    peer = PEERS[task.peer]
    torch.manual_seed(task.seed)  # a benchmark process owns its RNG
    model = peer.build().to(device)
    loss = peer.weightings[task.weighting].make(model, len(train_data), BATCH_SIZE)
    loader = InMemoryLoader(
        train_data, BATCH_SIZE, shuffle=True, seed=task.seed, device=device, **norm
    )
    seconds = train(model, loss, loader, task.epochs)
    model.eval()
    test, ood = (evaluation_loader(d, device=device, **norm) for d in (test_data, ood_data))
    started = time.perf_counter()
    metrics = evaluate(partial(peer.draw, model), test, ood)
    return {
        "peer": task.peer,
        "weighting": task.weighting,
        "seed": task.seed,
        "epochs": task.epochs,
        **metrics,
        "train_seconds": seconds,
        "eval_seconds": time.perf_counter() - started,
        "num_train": len(train_data),
        "num_test": len(test_data),
        "num_ood": len(ood_data),
    }


def _worker_init() -> None:
    torch.set_num_threads(1)


def run_tasks(tasks: list[Task], workers: int, on_result: Callable[[dict[str, Any]], None]) -> None:
    """Run ``tasks`` in ``workers`` processes (one torch thread each), or in this process
    when ``workers`` is 1; ``on_result`` receives each result as it finishes."""
    if workers <= 1:
        for task in tasks:
            on_result(run_task(task))
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    with context.Pool(workers, initializer=_worker_init) as pool:
        for result in pool.imap_unordered(run_task, tasks):
            on_result(result)
