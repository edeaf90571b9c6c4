"""What packed members cost, and where: layouts, estimators and prediction samples.

``python -m benchmarks.packed_step [--rounds 7] [--threads 1] [--out FILE.json]``

Three interleaved measurements (:func:`benchmarks.timing.interleaved`, medians of same-round
ratios), one torch thread, LeNet-5 on 1x32x32:

- ``convolutions``: LeNet-5's two packed convolutions (4 members, batch 256, forward and
  backward) in the contiguous and the channels-last layout, against one member's
  convolution alone.
- ``step``: the comparison's plain-loop training step (batch 256) of 4 packed Bayesian
  members per estimator and layout, one Bayesian network per estimator, and the twin in
  both layouts, as ratios to the twin's step (the contiguous layout a user gets).
- ``predict``: :func:`bayescnn.predict` on 500 images: 4 members (weight sampling) at
  ``samples`` S of each member, and Flipout members at 25 (as they were), against the
  default single network at its default S.

Run it on a quiet machine; the ratios are what carry over, not the milliseconds.
"""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

import bayescnn
from benchmarks.comparison import ROOT, Method, plain_step
from benchmarks.timing import interleaved, median, paired_ratio

MEMBERS = 4
BATCH = 256
ESTIMATORS = ("bbb", "lrt", "flipout")
LAYOUTS = {"contiguous": torch.contiguous_format, "channels-last": torch.channels_last}


def ratios(samples: Mapping[str, list[float]], base: str) -> dict[str, float]:
    """Each variant's median same-round ratio to ``base``."""
    return {name: paired_ratio(times, samples[base]) for name, times in samples.items()}


def convolution_variants() -> dict[str, Callable[[], None]]:
    """Forward + backward of LeNet-5's packed convolutions in each layout, and one member's."""
    generator = torch.Generator().manual_seed(0)
    variants: dict[str, Callable[[], None]] = {}
    for name, (channels_in, channels_out, size) in {
        "conv1": (1, 6, 32),
        "conv2": (6, 16, 14),
    }.items():
        weight = torch.randn(MEMBERS * channels_out, channels_in, 5, 5, generator=generator)
        weight.requires_grad_()
        inputs = torch.randn(BATCH, MEMBERS * channels_in, size, size, generator=generator)
        inputs.requires_grad_(name != "conv1")  # the first layer's input needs no gradient
        for layout, memory_format in LAYOUTS.items():
            x = (
                inputs.detach()
                .contiguous(memory_format=memory_format)
                .requires_grad_(inputs.requires_grad)
            )
            variants[f"{name} {layout}"] = partial(_conv_pass, x, weight, MEMBERS)
        one = inputs.detach()[:, :channels_in].clone().requires_grad_(inputs.requires_grad)
        variants[f"{name} one member"] = partial(
            _conv_pass, one, weight.detach()[:channels_out].clone().requires_grad_(), 1
        )
    return variants


def _conv_pass(x: torch.Tensor, weight: torch.Tensor, groups: int) -> None:
    F.conv2d(x, weight, groups=groups).sum().backward()


def _network(create: dict, memory_format: torch.memory_format | None = None) -> torch.nn.Module:
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", num_classes=10, in_channels=1, **create)
    if memory_format is not None:
        model.memory_format = memory_format
    return model


def step_variants() -> dict[str, Callable[[], None]]:
    """One training step per network: the twin (both layouts), one Bayesian network per
    estimator, 4 packed members per estimator and layout."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(BATCH, 1, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (BATCH,), generator=generator)
    creates: dict[str, tuple[dict, torch.memory_format | None]] = {
        "twin": ({"bayesian": False}, None)
    }
    for estimator in ESTIMATORS:
        creates[f"one network {estimator}"] = (
            {"bayesian_layers": "all", "rho_scale": 1, "estimator": estimator},
            None,
        )
        for layout, memory_format in LAYOUTS.items():
            creates[f"members {estimator} {layout}"] = (
                {"members": MEMBERS, "rho_scale": 1, "estimator": estimator},
                memory_format,
            )
    variants: dict[str, Callable[[], None]] = {}
    for name, (create, memory_format) in creates.items():
        model = _network(create, memory_format).train()
        optimizer = bayescnn.train.default_optimizer(model, 1e-3, 1.0)
        method = Method(create, bayesian=create.get("bayesian", True))
        variants[name] = partial(plain_step, model, optimizer, method, inputs, labels, 48_000)
    channels_last = torch.channels_last
    twin_cl = _network({"bayesian": False}).to(memory_format=channels_last).train()
    variants["twin channels-last"] = partial(
        plain_step,
        twin_cl,
        bayescnn.train.default_optimizer(twin_cl, 1e-3, 1.0),
        Method({"bayesian": False}, bayesian=False),
        inputs.contiguous(memory_format=channels_last),
        labels,
        48_000,
    )
    return variants


def predict_variants(samples: Sequence[int]) -> dict[str, Callable[[], object]]:
    """``bayescnn.predict`` on 500 images: the default single network at its default S,
    4 members at each S of ``samples``, and Flipout members at 25."""
    inputs = torch.randn(500, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    single = _network({}).eval()
    variants: dict[str, Callable[[], object]] = {
        "single network": partial(bayescnn.predict, single, inputs)
    }
    members = _network({"members": MEMBERS}).eval()  # weight sampling, the members' default
    for count in samples:
        variants[f"members bbb S={count}"] = partial(
            bayescnn.predict, members, inputs, samples=count
        )
    before = _network({"members": MEMBERS, "estimator": "flipout"}).eval()
    variants[f"members flipout S={bayescnn.defaults.SAMPLES}"] = partial(
        bayescnn.predict, before, inputs, samples=bayescnn.defaults.SAMPLES
    )  # the members as they were: Flipout, 25 samples of each
    return variants


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.packed_step", description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 2, 4, 8, 25])
    parser.add_argument("--only", nargs="+", default=["convolutions", "step", "predict"])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results-packed-step.json"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sections = {
        "convolutions": (convolution_variants, None),
        "step": (step_variants, "twin"),
        "predict": (partial(predict_variants, args.samples), "single network"),
    }
    record: dict = {
        "environment": {
            "torch": torch.__version__,
            "threads": args.threads,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "rounds": args.rounds,
    }
    for section in args.only:
        build, base = sections[section]
        samples = interleaved(build(), rounds=args.rounds, warmup=2)
        by_name = {name: 1e3 * median(times) for name, times in samples.items()}
        if base is None:  # convolutions: each layer against its one member
            relative = {
                name: paired_ratio(times, samples[f"{name.split()[0]} one member"])
                for name, times in samples.items()
            }
        else:
            relative = ratios(samples, base)
        record[section] = {"median_ms": by_name, "ratio": relative, "base": base or "one member"}
        print(f"== {section} (ratio to {base or 'one member'})")
        for name in samples:
            print(f"{name:32s} {by_name[name]:9.1f} ms {relative[name]:6.2f}x", flush=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
