"""The controlled training cost of each method of :mod:`benchmarks.comparison`.

``python -m benchmarks.method_costs [--device cuda] [--threads 1] [--rounds 15]
[--out FILE.json]``

One training step (batch 256, 1x32x32, the comparison's plain loop: expected NLL over
samples/members + KL / N, Adam) of every distinct network, interleaved with the twin's
step in one process (:func:`benchmarks.timing.interleaved`); a method's cost is the
median same-round ratio to the twin, times the networks an ensemble trains. Steps per
epoch and epochs are the same for every method, so the step ratio is the training cost
ratio. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import torch

import bayescnn
from bayescnn.reports import markdown_table
from benchmarks.comparison import METHODS, ROOT, Method, plain_step
from benchmarks.timing import interleaved, median, paired_ratio

NUM_TRAIN = 48_000


def step_of(method: Method, inputs: torch.Tensor, labels: torch.Tensor) -> Callable[[], None]:
    """One plain-loop training step of ``method``'s network (one member of an ensemble), on
    the inputs' device."""
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", num_classes=10, in_channels=1, **method.create)
    model.to(inputs.device).train()
    optimizer = bayescnn.train.default_optimizer(model, 1e-3, method.rho_lr_scale)

    return partial(plain_step, model, optimizer, method, inputs, labels, NUM_TRAIN)


def distinct_networks() -> dict[str, str]:
    """Method name -> the name of the method whose single network and step it trains
    (the rho scale and the ensemble size change no step's cost; a split batch does)."""
    owners: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, method in METHODS.items():
        key = json.dumps([method.create, method.split_batch], sort_keys=True)
        owners[name] = seen.setdefault(key, name)
    return owners


def measure(
    rounds: int, reps: int, only: Sequence[str] = (), device: str = "cpu"
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Ratios to the twin by method, and the per-round seconds of each distinct network
    (``only``: the methods with these name prefixes, and the twin), on ``device``."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(256, 1, 32, 32, generator=generator).to(device)
    labels = torch.randint(0, 10, (256,), generator=generator).to(device)
    owners = distinct_networks()
    if only:
        owners = {n: o for n, o in owners.items() if n == "twin" or n.startswith(tuple(only))}
    steps = {}
    for owner in sorted(set(owners.values())):
        try:
            steps[owner] = step_of(METHODS[owner], inputs, labels)
        except (TypeError, ValueError) as error:  # a method whose API this tree lacks
            print(f"skipping {owner}: {error}")
    sync = torch.cuda.synchronize if inputs.device.type == "cuda" else lambda: None
    samples = interleaved(steps, rounds=rounds, reps=reps, warmup=3, sync=sync)
    twin = samples[owners["twin"]]
    ratios = {
        name: METHODS[name].ensemble * paired_ratio(samples[owner], twin)
        for name, owner in owners.items()
        if owner in samples
    }
    return ratios, samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.method_costs", description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument(
        "--only", nargs="+", default=[],
        help="measure these methods (name prefixes) with the twin, and update their entries "
        "of --out, keeping the others' (the record says which were measured when)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-costs.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    ratios, samples = measure(args.rounds, args.reps, args.only, args.device)
    cells = [[name, f"{ratio:.2f}x"] for name, ratio in ratios.items()]
    print(markdown_table(["method", "training cost x twin"], cells, align="<"))
    environment = {"torch": torch.__version__, "threads": args.threads, "device": args.device,
                   "processor": platform.processor(), "python": platform.python_version()}  # fmt: skip
    ms = {name: [1e3 * t for t in times] for name, times in samples.items()}
    summary = {name: median(times) for name, times in ms.items()}
    record = {"date": time.strftime("%Y-%m-%d"), "rounds": args.rounds, "reps": args.reps,
              "environment": environment, "ratios": ratios, "median_ms": summary, "ms": ms}  # fmt: skip
    if args.only and args.out.is_file():  # a partial run updates the methods it measured
        kept = json.loads(args.out.read_text())
        for key in ("ratios", "median_ms", "ms"):
            kept[key] = kept.get(key, {}) | record[key]
        updates = kept.setdefault("updates", [])
        updates.append({"date": time.strftime("%Y-%m-%d"), "methods": sorted(ratios),
                        "environment": environment})  # fmt: skip
        record = kept
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
