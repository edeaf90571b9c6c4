"""The results tables and figures, from the run records of :mod:`benchmarks.results`.

Writes each table between its ``<!-- results:NAME -->`` markers in the documentation's
results pages (``docs/results/*.md``), and ``docs/figures/sweep_prior_sigma.png``; a quick
smoke run writes every table into ``docs/results-quick.md`` instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from bayescnn import defaults
from bayescnn.reports import markdown_table
from benchmarks.experiments import (
    DATASETS,
    FRONTIER,
    ROUND_2,
    ROUND_3,
    SEEDS,
    SWEEP,
    frontier_name,
)
from benchmarks.report import write_sections
from benchmarks.scoring import DEFAULT_LABEL, SPREAD_HEADER, comparison, mean_sd, seed_spread
from benchmarks.targets import targets_rows

ROOT = Path(__file__).resolve().parent.parent
PAPER_MNIST = {"lenet": (98, 98), "alexnet": (99, 99), "3conv3fc": (None, None)}
"""The seed paper's Table 1, MNIST validation accuracy in %: (Bayesian, frequentist)."""


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The results pages' Markdown tables: every column left-aligned (plain ``---``)."""
    return markdown_table(header, rows, align="<")


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def _round(setting: str) -> str:
    if setting in ROUND_3:
        return "3 (spread, around flipout)"
    return "2 (around flipout)" if setting in ROUND_2 else "1 (around lrt)"


def sweep_table(records: Mapping[str, dict], tag: str) -> tuple[str, str | None]:
    """The one-at-a-time sweep on one dataset, and the winner by validation NLL."""
    rows, best, best_nll = [], None, float("inf")
    for setting, args in SWEEP.items():
        record = records.get(f"{tag}-lenet-bayesian-{setting}")
        if record is None:
            continue
        test = record["test"]["predictive"]
        if record["best_valid_nll"] < best_nll:
            best, best_nll = setting, record["best_valid_nll"]
        rows.append([
            setting, _round(setting), " ".join(args) or "(defaults)", f"{record['best_valid_nll']:.4f}",
            _pct(record["best_valid_accuracy"]), _pct(test["accuracy"]), f"{test['nll']:.4f}",
            f"{test['ece']:.4f}", f"{record['train_seconds']:.0f}",
        ])  # fmt: skip
    header = ["setting", "round", "flags", "valid NLL", "valid acc.", "test acc.", "test NLL", "test ECE",
              "train s"]  # fmt: skip
    rows = [[f"**{r[0]}**" if r[0] == best else r[0], *r[1:]] for r in rows]
    return _table(header, rows), best


def comparison_table(summaries: list[dict]) -> str:
    """Accuracy, NLL, ECE, OOD AUROC and cost of each method, side by side."""
    freq = next((s for s in summaries if s["label"] == "frequentist twin"), summaries[0])
    rows = []
    for s in summaries:
        metrics, ood = s["in_distribution"], s["ood_detection"]
        rows.append([
            s["label"], _pct(metrics["accuracy"]), f"{metrics['nll']:.4f}", f"{metrics['ece']:.4f}",
            f"{ood['entropy']['auroc']:.4f}", f"{ood['mutual_info']['auroc']:.4f}",
            f"{ood['max_prob']['auroc']:.4f}",
            f"{s['train_seconds'] / max(freq['train_seconds'], 1e-9):.1f}x",
            f"{s['report_seconds'] / max(freq['report_seconds'], 1e-9):.1f}x",
        ])  # fmt: skip
    header = ["method", "accuracy", "NLL", "ECE", "OOD AUROC, entropy", "OOD AUROC, mutual info",
              "OOD AUROC, max prob", "training cost", "scoring cost"]  # fmt: skip
    first = summaries[0]
    note = (f"\n\nTest set of {first['in_name']} ({first['num_in']} images) against "
            f"{first['ood_name']} ({first['num_out']} images), {first['samples']} samples; "
            "costs relative to the frequentist twin, from the wall-clock seconds of runs made "
            "while 2-5 jobs shared 2 cores: indicative only (the controlled ratios are in Speed: "
            "a LeNet-5 step costs 1.67x (flipout), 1.91x (lrt) and 1.10x (bbb) its twin's on the "
            "CPU; scoring 25 samples costs about 25 passes against the twin's one, an "
            "ensemble's 5).")  # fmt: skip
    return _table(header, rows) + note


def uncertainty_table(summaries: list[dict], labels: Sequence[str]) -> str:
    """Mean aleatoric and epistemic uncertainty in and out of distribution, per method."""
    rows = []
    for s in summaries:
        if s["label"] not in labels:
            continue
        for method, parts in s["uncertainty"].items():
            rows.append([
                s["label"], method, f"{parts['in']['aleatoric']:.4g}",
                f"{parts['out']['aleatoric']:.4g}", f"{parts['in']['epistemic']:.4g}",
                f"{parts['out']['epistemic']:.4g}",
            ])  # fmt: skip
    header = ["model", "decomposition", "aleatoric in", "aleatoric out", "epistemic in",
              "epistemic out"]  # fmt: skip
    return _table(header, rows)


def mnist_table(records: Mapping[str, dict]) -> str:
    """The seed paper's MNIST column beside ours, same budget for every model."""
    rows = []
    for model, (paper_bayes, paper_freq) in PAPER_MNIST.items():
        runs = [("Bayesian (flipout, default)", paper_bayes, "bayesian-default")]
        if model == "lenet":  # LeNet-5's default is the sweep's flipout run; the others beside
            runs = [("Bayesian (flipout, default)", paper_bayes, "bayesian-flipout"),
                    ("Bayesian (lrt)", paper_bayes, "bayesian-lrt"),
                    ("Bayesian (bbb)", paper_bayes, "bayesian-bbb")]  # fmt: skip
        for kind, paper, suffix in [*runs, ("frequentist", paper_freq, "frequentist-seed0")]:
            record = records.get(f"mnist-{model}-{suffix}")
            test = record["test"]["predictive"] if record else None
            rows.append([
                model, kind, f"{paper}%" if paper else "none (not in the paper)",
                _pct(test["accuracy"]) if test else "not run", f"{test['nll']:.4f}" if test else "",
                f"{test['ece']:.4f}" if test else "",
            ])  # fmt: skip
    header = ["model", "kind", "paper (validation acc.)", "ours (test acc.)", "NLL", "ECE"]
    return _table(header, rows)


def plot_prior_sweep(records: Mapping[str, dict], path: Path) -> Path | None:
    """Accuracy and ECE against the prior's sigma, both datasets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sigmas = {"prior-0.1": 0.1, "prior-0.3": 0.3, "lrt": 1.0}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    drew = False
    for tag, name in DATASETS.items():
        points = [(sigma, records[f"{tag}-lenet-bayesian-{k}"]["test"]["predictive"])
                  for k, sigma in sigmas.items() if f"{tag}-lenet-bayesian-{k}" in records]  # fmt: skip
        if not points:
            continue
        drew = True
        xs = [p[0] for p in points]
        axes[0].plot(xs, [100 * p[1]["accuracy"] for p in points], "o-", label=name)
        axes[1].plot(xs, [p[1]["ece"] for p in points], "o-", label=name)
    if not drew:
        plt.close(fig)
        return None
    for ax, label in zip(axes, ("test accuracy (%)", "test ECE (15 bins)"), strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("prior sigma (N(0, sigma^2))")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Bayesian LeNet-5, lrt, 10 epochs: accuracy and calibration against the prior")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


FRONTIER_COLUMNS = ("accuracy", "nll", "ece", "auroc_mutual_info", "auroc_entropy")
"""The plain loop's metrics, as named in its JSON rows."""


def frontier_table(runs: Path, tag: str) -> str | None:
    """The plain loop's settings (:data:`FRONTIER`), mean ± sd over the seeds run, with
    the twin of ``plain-loop-TAG.json`` (seed 0) for reference."""
    header = ["setting", "plain-loop flags", "seeds", "accuracy", "NLL", "ECE", "MI AUROC",
              "entropy AUROC"]  # fmt: skip
    rows = []
    for setting, flags in FRONTIER.items():
        files = [runs / f"{frontier_name(tag, setting, seed)}.json" for seed in SEEDS]
        found = [json.loads(f.read_text())["rows"][0] for f in files if f.is_file()]
        if found:
            cells = [mean_sd([row[key] for row in found]) for key in FRONTIER_COLUMNS]
            rows.append([setting, " ".join(flags) or "(defaults)", str(len(found)), *cells])
    if (twin_file := runs / f"plain-loop-{tag}.json").is_file():
        twin = json.loads(twin_file.read_text())["rows"][1]
        cells = [f"{twin[key]:.4f}" for key in FRONTIER_COLUMNS[:3]]
        rows.append(
            ["frequentist twin", "(the twin)", "1", *cells, "-", f"{twin['auroc_entropy']:.4f}"]
        )
    return _table(header, rows) if rows else None


def write_results(
    records: list[dict], runs: Path, *, quick: bool, docs: Path = ROOT / "docs"
) -> dict[str, str]:
    """Build every table (and run the comparisons) and write them: between their markers
    in the results pages ``docs/results/*.md``, or with ``quick`` into
    ``docs/results-quick.md``."""
    by_name = {r["name"]: r for r in records}
    sections: dict[str, str] = {}
    all_summaries: dict[str, list[dict]] = {}
    for tag, name in DATASETS.items():
        table, best = sweep_table(by_name, tag)
        sections[f"sweep-{tag}"] = f"{table}\n\nBest by validation NLL on {name}: **{best}**."
        samples = 5 if quick else defaults.SAMPLES
        summaries = comparison(runs, tag, quick=quick, samples=samples)
        all_summaries[tag] = summaries or []
        if summaries:
            sections[f"compare-{tag}"] = comparison_table(summaries)
            sections[f"uncertainty-{tag}"] = uncertainty_table(
                summaries, [DEFAULT_LABEL, "frequentist twin"]
            )
        spread = seed_spread(runs, tag, quick=quick, samples=samples)
        if spread:
            sections[f"seeds-{tag}"] = _table(SPREAD_HEADER, spread)
    for tag in DATASETS:
        if (frontier := frontier_table(runs, tag)) is not None:
            sections[f"frontier-{tag}"] = frontier
    sections["mnist-table"] = mnist_table(by_name)
    plain = {
        t: json.loads(f.read_text())
        for t in DATASETS
        if (f := runs / f"plain-loop-{t}.json").is_file()
    }
    rows = targets_rows(by_name, all_summaries, plain, DEFAULT_LABEL)
    sections["targets"] = _table(["way", "target", "measured", "met?"], rows)
    figures = docs / "figures"
    plot_prior_sweep(
        by_name, figures / ("sweep_prior_sigma-quick.png" if quick else "sweep_prior_sigma.png")
    )
    if quick:
        target = docs / "results-quick.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            "# Results (quick smoke run, not results)\n\n"
            + "\n\n".join(f"## {name}\n\n{body}" for name, body in sections.items())
            + "\n"
        )
    else:
        target = docs / "results"
        for name in write_sections(sections, target):
            print(f"warning: no page of {target} has the markers of section {name!r}")
    print(f"wrote {target}")
    return sections
