"""Latency of the exported posterior-mean network: onnxruntime (CPU) vs PyTorch.

``python -m benchmarks.onnx_latency [--rounds R] [--batches 1,256] [--samples S] [--threads N]``

LeNet-5 (1x32x32, 10 classes, every layer Bayesian), the posterior-mean network both ways:

* ``pytorch``: :func:`bayescnn.to_deterministic` of the Bayesian model, eager, under
  ``torch.no_grad()``;
* ``onnxruntime``: :func:`bayescnn.deploy.export_onnx` of the same model, one
  ``InferenceSession`` on the CPU execution provider, default options.

With ``--samples S`` it also times the ``S``-sample Monte-Carlo predictive graph
against ``bayescnn.sample_forward`` plus the entropy decomposition. Variants are timed
interleaved (:func:`benchmarks.timing.interleaved`); each time is the median over rounds
of the mean of several calls, the ratio the median of same-round ratios. Both runtimes
use their default thread counts unless ``--threads N`` sets both. Numbers taken while
other processes load the CPU are not meaningful.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/onnx_latency.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import onnxruntime as ort
import torch

import bayescnn
from bayescnn.deploy import INPUT_NAME, export_onnx
from bayescnn.reports import markdown_table
from bayescnn.uncertainty import entropy_decomposition
from benchmarks.timing import interleaved, median, paired_ratio
from benchmarks.training import EVERY_LAYER_BAYESIAN


def _reps(batch: int) -> int:
    """Calls per timed block: enough for about 10 ms at small batches."""
    return max(1, 256 // batch)


def bench_onnx_latency(
    batches: Sequence[int] = (1, 256),
    *,
    samples: int | None = None,
    rounds: int = 30,
    threads: int | None = None,
    seed: int = 0,
) -> list[dict[str, object]]:
    """Per batch size: median milliseconds per call of each runtime and their ratio.

    ``threads`` sets both runtimes' intra-op threads (default: their own defaults)."""
    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = bayescnn.models.create(
        "lenet", in_channels=1, image_size=32, **EVERY_LAYER_BAYESIAN
    ).eval()
    plain = bayescnn.to_deterministic(model)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        example = torch.zeros(1, 1, 32, 32)
        mean_session = _session(export_onnx(model, example, Path(folder) / "mean.onnx"), threads)
        predictive_session = None
        if samples is not None:
            path = export_onnx(model, example, Path(folder) / "predictive.onnx", samples=samples)
            predictive_session = _session(path, threads)
        for batch in batches:
            x = torch.randn(batch, 1, 32, 32, generator=torch.Generator().manual_seed(seed))
            feed = {INPUT_NAME: x.numpy()}
            variants: dict[str, Callable[[], object]] = {
                "pytorch": _inference(lambda x=x: plain(x)),
                "onnxruntime": lambda feed=feed: mean_session.run(None, feed),
            }
            if predictive_session is not None and samples is not None:
                variants["pytorch S"] = _inference(
                    lambda x=x: entropy_decomposition(
                        bayescnn.sample_forward(model, x, samples).softmax(-1)
                    )
                )
                variants["onnxruntime S"] = lambda feed=feed: predictive_session.run(None, feed)
            reps = {"pytorch": _reps(batch), "onnxruntime": _reps(batch)}  # predictive: 1
            times = interleaved(variants, rounds=rounds, reps=reps, warmup=3)
            rows.append(_row(f"mean network, batch {batch}", times, "pytorch", "onnxruntime"))
            if samples is not None:
                name = f"predictive S={samples}, batch {batch}"
                rows.append(_row(name, times, "pytorch S", "onnxruntime S"))
    return rows


def _session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _inference(call: Callable[[], object]) -> Callable[[], object]:
    def timed() -> object:
        with torch.no_grad():  # not inference_mode: the noise threads fill new tensors
            return call()

    return timed


def _row(name: str, times: dict[str, list[float]], torch_key: str, ort_key: str) -> dict:
    return {
        "case": name,
        "pytorch_ms": 1e3 * median(times[torch_key]),
        "onnxruntime_ms": 1e3 * median(times[ort_key]),
        "pytorch_over_onnxruntime": paired_ratio(times[torch_key], times[ort_key]),
    }


def format_rows(rows: Sequence[dict]) -> str:
    """A Markdown table of the rows."""
    header = ["case", "PyTorch (ms)", "onnxruntime (ms)", "PyTorch / onnxruntime"]
    cells = [
        [r["case"], f"{r['pytorch_ms']:.3f}", f"{r['onnxruntime_ms']:.3f}",
         f"{r['pytorch_over_onnxruntime']:.2f}x"]
        for r in rows
    ]  # fmt: skip
    return markdown_table(header, cells)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default: 30)")
    parser.add_argument(
        "--batches", default="1,256", help="comma-separated batch sizes (default: 1,256)"
    )
    parser.add_argument("--samples", type=int, help="also time the S-sample predictive graph")
    parser.add_argument(
        "--threads", type=int, help="intra-op threads of both runtimes (default: their own)"
    )
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    rows = bench_onnx_latency(
        batches, samples=args.samples, rounds=args.rounds, threads=args.threads
    )
    threads = "default threads" if args.threads is None else f"{args.threads} threads"
    print(
        f"LeNet-5 1x32x32, CPU, {threads} (torch: {torch.get_num_threads()}), "
        f"torch {torch.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}"
    )
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
