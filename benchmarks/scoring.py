"""Scoring trained runs with ``bayescnn uncertainty``: the methods side by side, and the
default's spread over seeds."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.experiments import SEEDS

OOD_SETS = {"fmnist": "digits", "mnist": "fashion-mnist"}
"""Each dataset's out-of-distribution set: scikit-learn's digits, Fashion-MNIST for MNIST."""
DEFAULT_LABEL = "Bayesian (flipout, default)"
SPREAD_SETTINGS = {
    "rho-lr-3": "Bayesian, rho lr x3",
    "head": "Bayesian head (fc*)",
    "head-rho-lr-3": "Bayesian head, rho lr x3",
    "last-rho-lr-3": "Bayesian last layer, rho lr x3",
}
"""The sweep's round 3 in the comparison, by label: where the epistemic spread is traded
for calibration."""


def comparison(runs: Path, tag: str, *, quick: bool, samples: int) -> list[dict] | None:
    """``bayescnn uncertainty`` of every trained method against the dataset's OOD set.

    Each method is scored by its own command into ``runs/compare-TAG/LABEL`` and kept, so
    methods trained later are added without scoring the others again; the same table
    comes from one ``bayescnn uncertainty RUN --compare ...`` command.
    """
    names = {
        DEFAULT_LABEL: [f"{tag}-lenet-bayesian-flipout"],
        "Bayesian (lrt)": [f"{tag}-lenet-bayesian-lrt"],
        "Bayesian (bbb)": [f"{tag}-lenet-bayesian-bbb"],
        **{
            label: [f"{tag}-lenet-bayesian-{setting}"] for setting, label in SPREAD_SETTINGS.items()
        },
        "frequentist twin": [f"{tag}-lenet-frequentist-seed0"],
        "MC dropout (p = 0.25)": [f"{tag}-lenet-mc-dropout"],
        "deep ensemble of 5": [f"{tag}-lenet-frequentist-seed{s}" for s in range(5)],
    }
    found = (score_method(runs, tag, label, runs_, quick=quick, samples=samples)
             for label, runs_ in names.items())  # fmt: skip
    summaries = [summary for summary in found if summary is not None]
    return summaries or None


def score_method(
    runs: Path, tag: str, label: str, members: Sequence[str], *, quick: bool, samples: int
) -> dict | None:
    """``bayescnn uncertainty`` of one method (one run, or an ensemble's members), scored
    once into ``runs/compare-TAG/LABEL`` and read back; None while a member is untrained."""
    if not all((runs / n / "record.json").is_file() for n in members):
        return None
    out = runs / f"compare-{tag}" / re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    if not (out / "uncertainty.json").is_file():
        command = [sys.executable, "-m", "bayescnn", "uncertainty",
                   *(str(runs / n) for n in members), "--ood", OOD_SETS[tag],
                   "--samples", str(samples), "--out-dir", str(out), "--device", "cpu"]  # fmt: skip
        if quick:
            command += ["--limit", "300"]
        env = os.environ | {"OMP_NUM_THREADS": "2"}
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"scoring {label} on {tag} failed:\n{done.stderr[-3000:]}")
        (out / "seconds.json").write_text(json.dumps({"seconds": time.perf_counter() - started}))
    summary = json.loads((out / "uncertainty.json").read_text())
    records = [json.loads((runs / n / "record.json").read_text()) for n in members]
    summary["label"] = label
    summary["train_seconds"] = sum(r["train_seconds"] for r in records)
    summary["report_seconds"] = json.loads((out / "seconds.json").read_text())["seconds"]
    return summary


def seed_spread(runs: Path, tag: str, *, quick: bool, samples: int) -> list[list[str]]:
    """Rows of mean ± standard deviation over seeds (columns ``SPREAD_HEADER``): the
    default Bayesian LeNet-5 and its twin, each seed scored alone."""
    kinds = {  # the first of each is the comparison's run, scored there under that label
        DEFAULT_LABEL: ["lenet-bayesian-flipout", *(f"lenet-bayesian-flipout-seed{s}" for s in SEEDS[1:])],
        "frequentist twin": [f"lenet-frequentist-seed{s}" for s in range(5)],
    }  # fmt: skip
    rows = []
    for label, names in kinds.items():
        labels = [label, *(f"{label} {name}" for name in names[1:])]
        found = [score_method(runs, tag, key, [f"{tag}-{name}"], quick=quick, samples=samples)
                 for key, name in zip(labels, names, strict=True)]  # fmt: skip
        scored = [s for s in found if s is not None]
        if not scored:
            continue
        cells = [label, str(len(scored))]
        cells += [mean_sd([get(s) for s in scored]) for get in SPREAD_COLUMNS.values()]
        rows.append(cells)
    return rows


def mean_sd(values: Sequence[float], digits: int = 4, scale: float = 1.0) -> str:
    """``mean ± sample standard deviation`` of ``scale * values`` to ``digits`` decimals;
    one value alone has no spread to show, so it is printed bare (a ``± 0`` would claim a
    spread that was not measured)."""
    scaled = [scale * v for v in values]
    if len(scaled) == 1:
        return f"{scaled[0]:.{digits}f}"
    return f"{statistics.mean(scaled):.{digits}f} ± {statistics.stdev(scaled):.{digits}f}"


SPREAD_COLUMNS = {
    "accuracy": lambda s: s["in_distribution"]["accuracy"],
    "NLL": lambda s: s["in_distribution"]["nll"],
    "ECE": lambda s: s["in_distribution"]["ece"],
    "OOD AUROC, mutual info": lambda s: s["ood_detection"]["mutual_info"]["auroc"],
    "OOD AUROC, entropy": lambda s: s["ood_detection"]["entropy"]["auroc"],
}
"""The seeds table's columns: what each is read from in an ``uncertainty.json``."""
SPREAD_HEADER = ["method", "seeds", *SPREAD_COLUMNS]
