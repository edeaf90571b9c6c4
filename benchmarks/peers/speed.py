"""The training step and S-sample prediction of every peer against ours, interleaved.

All variants of a section are timed round-robin in one process
(:func:`benchmarks.timing.interleaved`); a ratio is the median over rounds of the
same-round ratio (:func:`benchmarks.timing.paired_ratio`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

import bayescnn
from benchmarks.peers.libraries import IMAGE_SIZE, IN_CHANNELS, PEERS, Peer
from benchmarks.timing import interleaved, median, paired_ratio, synchronizer

FASHION_MNIST_TRAIN_SIZE = 60_000
"""N of the losses' KL / N (the step section runs on a fixed random batch)."""


def _ours(estimator: str | None) -> str:
    return f"bayescnn {estimator}" if estimator else "frequentist"


def _batch(batch_size: int, seed: int, device: torch.device) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch_size, IN_CHANNELS, IMAGE_SIZE, IMAGE_SIZE, generator=generator)
    labels = torch.randint(0, 10, (batch_size,), generator=generator)
    return inputs.to(device), labels.to(device)


def _step(peer: Peer, device: torch.device, x: Tensor, y: Tensor) -> Callable[[], None]:
    """One training step as the peer's user writes it: forward, its loss, backward, Adam."""
    model = peer.build().to(device)
    model.train()
    weighting = "docs" if "docs" in peer.weightings else next(iter(peer.weightings))
    loss = peer.weightings[weighting].make(model, FASHION_MNIST_TRAIN_SIZE, x.shape[0])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        optimizer.zero_grad()
        loss(x, y).backward()
        optimizer.step()

    return step


def _rows(
    samples: dict[str, list[float]], baseline: Callable[[str], str | None], scale: float
) -> list[dict[str, Any]]:
    rows = []
    for name, times in samples.items():
        base = baseline(name)
        peer = PEERS[name]
        rows.append(
            {
                "variant": name,
                "library": peer.library,
                "estimator": peer.estimator,
                "median": median(times) * scale,
                "baseline": base,
                "ratio": None if base is None else paired_ratio(times, samples[base]),
                "ratio_to_frequentist": (
                    paired_ratio(times, samples["frequentist"])
                    if "frequentist" in samples and name != "frequentist"
                    else None
                ),
                "samples": [t * scale for t in times],
            }
        )
    return rows


def bench_step(
    device: torch.device,
    peers: Sequence[str],
    *,
    batch_size: int = 256,
    rounds: int = 15,
    reps: int = 3,
    warmup: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """ms per training step of every variant; ratios to ours with the same estimator and to
    the frequentist twin."""
    x, y = _batch(batch_size, seed, device)
    torch.manual_seed(seed)
    names = ["frequentist", *(p for p in peers if p != "frequentist")]
    variants = {name: _step(PEERS[name], device, x, y) for name in names}
    samples = interleaved(
        variants, rounds=rounds, reps=reps, warmup=warmup, sync=synchronizer(device)
    )

    def baseline(name: str) -> str | None:
        ours = _ours(PEERS[name].estimator)
        return ours if ours in samples and ours != name and PEERS[name].estimator else None

    return {
        "batch_size": batch_size,
        "rounds": rounds,
        "reps": reps,
        "unit": "ms/step",
        "rows": _rows(samples, baseline, 1e3),
    }


def _predict(peer: Peer, device: torch.device, x: Tensor, samples: int) -> Callable[[], object]:
    """S-sample prediction as the peer's docs write it: ``bayescnn.predict`` for ours, the
    mean of the softmax of S sampled logits for the peers."""
    model = peer.build().to(device)
    model.eval()
    if peer.library == "bayescnn":
        return lambda: bayescnn.predict(model, x, samples=samples)

    def predict() -> Tensor:
        with torch.no_grad():
            return torch.softmax(peer.draw(model, x, samples), dim=-1).mean(dim=0)

    return predict


def bench_predict(
    device: torch.device,
    peers: Sequence[str],
    *,
    batch_sizes: Sequence[int] = (16, 256),
    samples: int = 25,
    rounds: int = 9,
    warmup: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """ms per S-sample prediction of a batch, per batch size; ratios to ours with the same
    estimator."""
    names = [p for p in peers if PEERS[p].estimator is not None]
    out: dict[str, Any] = {"samples": samples, "rounds": rounds, "unit": "ms", "batches": {}}
    for batch_size in batch_sizes:
        x, _ = _batch(batch_size, seed, device)
        torch.manual_seed(seed)
        variants = {name: _predict(PEERS[name], device, x, samples) for name in names}
        times = interleaved(variants, rounds=rounds, warmup=warmup, sync=synchronizer(device))

        def baseline(name: str, times: dict[str, list[float]] = times) -> str | None:
            ours = _ours(PEERS[name].estimator)
            return ours if ours in times and ours != name else None

        out["batches"][str(batch_size)] = _rows(times, baseline, 1e3)
    return out
