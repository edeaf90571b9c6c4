"""Tables of the calibrated comparison (:mod:`benchmarks.comparison`): every method raw
and calibrated, mean ± sd over seeds, the controlled step cost, and the targets.

``python -m benchmarks.comparison_tables [--results FILE.jsonl] [--pooled FILE.jsonl]
[--costs FILE.json]`` writes ``docs/results/comparison-all-columns.md`` (every column, raw
and calibrated) and the results pages' ``<!-- results:comparison-TAG -->``,
``<!-- results:comparison-pooled-TAG -->`` and ``<!-- results:targets-23 -->`` sections. ``--results`` holds the sweep calibrated per
sample (the form before the pooled one), ``--pooled`` the methods run again with
``bayescnn.calibrate``'s pooled default; the targets take a method's pooled records when
it has them.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bayescnn.reports import markdown_table
from benchmarks.comparison import METHODS, ROOT, SCORES
from benchmarks.report import RESULT_PAGES, write_sections
from benchmarks.scoring import mean_sd

LABELS = {
    "twin": "frequentist twin",
    "mc-dropout": "MC dropout (p = 0.25)",
    "deep-ensemble-5": "deep ensemble of 5 twins",
    "packed-twins-4": "4 packed twins in one network",
    **{f"bayes-all-rho{k}": f"Bayesian, rho scale {k}" for k in (1, 2, 3, 5)},
    **{f"bayes-head-rho{k}": f"Bayesian head (fc*), rho scale {k}" for k in (1, 2, 3, 5)},
    **{
        f"members-4-rho{k}": f"4 Bayesian members in one network, Flipout, rho scale {k}"
        for k in (1, 3)
    },
    "members-4-bbb-rho1": "4 Bayesian members in one network, rho scale 1 (today's members)",
    "members-4-bbb-split-rho1": "4 Bayesian members in one network, each on a 1/4 share of "
    "the batch",
    "members-4-half-rho3": "4 half-width Bayesian members in one network, Flipout, rho scale 3",
    **{f"bayes-ensemble-4-rho{k}": f"4 Bayesian networks, rho scale {k}" for k in (1, 3)},
    "rank1-4": "rank-1 mixture, 4 components",
}
"""How each method of :data:`benchmarks.comparison.METHODS` is named in the tables."""
DEFAULT_METHOD = "bayes-head-rho3"
"""The method that is ``models.create``'s and ``bayescnn train``'s default (LeNet-5's
fully connected layers Bayesian, rho scale 3: ``bayescnn.defaults``)."""
BEST_METHOD = "members-4-bbb-rho1"
"""The members ``models.create(..., members=4)`` builds (weight sampling, 8 samples of each
member), judged here at the harness' 25 samples as every other method."""
TAGS = {"fmnist": ("Fashion-MNIST", "digits"), "mnist": ("MNIST", "Fashion-MNIST")}
Record = dict[str, Any]


def load_records(path: Path) -> dict[tuple[str, str], list[Record]]:
    """The finished records by ``(dataset tag, method)``, one per seed (the last kept)."""
    by_key: dict[str, Record] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            if "error" not in record:
                by_key[record["key"]] = record
    grouped: dict[tuple[str, str], list[Record]] = {}
    for record in sorted(by_key.values(), key=lambda r: r["seed"]):
        grouped.setdefault((record["tag"], record["method"]), []).append(record)
    return grouped


def mean(records: Sequence[Record], get: Callable[[Record], float]) -> float:
    return statistics.mean(get(r) for r in records)


def best_other_score(records: Sequence[Record]) -> str:
    """The OOD score other than mutual information with the best mean calibrated AUROC."""
    others = [s for s in SCORES if s != "mutual_info"]
    return max(others, key=lambda s: mean(records, lambda r: r["calibrated"]["auroc"][s]))


def step_cost(costs: Mapping[str, float], method: str) -> str:
    """The controlled CPU step ratio to the twin, times the networks trained (ensembles)."""
    ratio = costs.get(method)
    return "not measured" if ratio is None else f"{ratio:.2f}x"


def comparison_rows(
    grouped: Mapping[tuple[str, str], list[Record]], tag: str, costs: Mapping[str, float]
) -> list[list[str]]:
    """One row per method measured on ``tag``: the results page's compact columns."""
    rows = []
    for method in METHODS:
        records = grouped.get((tag, method))
        if not records:
            continue
        other = best_other_score(records)
        rows.append([
            LABELS.get(method, method),
            str(len(records)),
            mean_sd([r["calibrated"]["accuracy"] for r in records], 2, 100.0),
            mean_sd([r["calibrated"]["nll"] for r in records]),
            mean_sd([r["raw"]["ece"] for r in records]),
            mean_sd([r["calibrated"]["ece"] for r in records]),
            mean_sd([r["temperature"]["temperature"] for r in records], 2),
            mean_sd([r["raw"]["auroc"]["mutual_info"] for r in records], 3),
            mean_sd([r["calibrated"]["auroc"]["mutual_info"] for r in records], 3),
            f"{mean_sd([r['calibrated']['auroc'][other] for r in records], 3)} ({other})",
            step_cost(costs, method),
        ])  # fmt: skip
    return rows


COMPARISON_HEADER = [
    "method", "seeds", "accuracy %", "NLL", "ECE raw", "ECE calibrated", "T",
    "MI AUROC raw", "MI AUROC calibrated", "best other AUROC", "training cost x twin",
]  # fmt: skip


def full_rows(grouped: Mapping[tuple[str, str], list[Record]], tag: str) -> list[list[str]]:
    """docs/comparison.md: raw and calibrated, every score."""
    rows = []
    for method in METHODS:
        records = grouped.get((tag, method))
        if not records:
            continue
        for kind in ("raw", "calibrated"):
            rows.append([
                LABELS.get(method, method), kind, str(len(records)),
                mean_sd([r[kind]["accuracy"] for r in records], 2, 100.0),
                mean_sd([r[kind]["nll"] for r in records]),
                mean_sd([r[kind]["ece"] for r in records]),
                *(mean_sd([r[kind]["auroc"][s] for r in records], 3) for s in SCORES),
            ])  # fmt: skip
    return rows


Summary = dict[str, dict[str, float]]
"""Per dataset tag: the 3-seed means of ``accuracy``, ``ece`` and ``mi`` (calibrated)."""


def plain_loop_summary(grouped: Mapping[tuple[str, str], list[Record]], method: str) -> Summary:
    """A comparison method's calibrated means per dataset (where measured)."""
    found: Summary = {}
    for tag in TAGS:
        records = grouped.get((tag, method))
        if records:
            found[tag] = {
                "accuracy": mean(records, lambda r: r["calibrated"]["accuracy"]),
                "ece": mean(records, lambda r: r["calibrated"]["ece"]),
                "mi": mean(records, lambda r: r["calibrated"]["auroc"]["mutual_info"]),
            }
    return found


def cli_summary(records: Sequence[Record], kind: str) -> Summary:
    """``benchmarks.cli_way``'s runs of ``kind`` (default, twin): means per dataset of
    test.json's calibrated predictive and the uncertainty report's MI AUROC."""
    found: Summary = {}
    for tag in TAGS:
        chosen = [r for r in records if r["tag"] == tag and r["kind"] == kind]
        if chosen:
            found[tag] = {
                "accuracy": mean(chosen, lambda r: r["test"]["predictive"]["accuracy"]),
                "ece": mean(chosen, lambda r: r["test"]["predictive"]["ece"]),
                "mi": mean(chosen, lambda r: r["ood"]["mutual_info"]),
            }
    return found


def targets_rows(
    way: str, mine: Summary, twin: Summary, baselines: Mapping[str, Summary], cost: float | None
) -> list[list[str]]:
    """Issue #23's targets (after calibration, 3-seed means) for one way of getting a
    network: ``mine`` against its ``twin`` trained the same way, and the MC dropout and
    5-ensemble ``baselines`` of the comparison."""
    rows: list[list[str]] = []

    def add(target: str, measured: str, met: bool | None) -> None:
        verdict = "not measured" if met is None else ("yes" if met else "**no**")
        rows.append([way, target, measured, verdict])

    dropout, ensemble = baselines["dropout"], baselines["ensemble"]
    for tag, (name, _) in TAGS.items():
        if tag not in mine or tag not in twin:
            continue
        a, t = mine[tag]["accuracy"], twin[tag]["accuracy"]
        if tag == "mnist":
            add("MNIST accuracy >= 99.0% and within 0.3 points of the twin",
                f"{100 * a:.2f}% vs {100 * t:.2f}%", a >= 0.99 and a >= t - 0.003)  # fmt: skip
        else:
            add("Fashion-MNIST accuracy within 0.5 points of the twin or above",
                f"{100 * a:.2f}% vs {100 * t:.2f}%", a >= t - 0.005)  # fmt: skip
        e, te = mine[tag]["ece"], twin[tag]["ece"]
        add(f"{name} ECE <= the calibrated twin's + 0.001", f"{e:.4f} vs {te:.4f}",
            e <= te + 0.001)  # fmt: skip
        if tag in dropout and tag in ensemble:
            x, d, ens = mine[tag]["mi"], dropout[tag]["mi"], ensemble[tag]["mi"]
            floor = " >= 0.97," if tag == "mnist" else ""
            ok = x >= d and x >= ens - 0.005 and (tag != "mnist" or x >= 0.97)
            add(f"{name} MI AUROC{floor} >= MC dropout's and >= the 5-ensemble's - 0.005",
                f"{x:.3f} vs dropout {d:.3f}, ensemble {ens:.3f}", ok)  # fmt: skip
    add("training step <= 2.0x the twin's (CPU, controlled)",
        "not measured" if cost is None else f"{cost:.2f}x",
        None if cost is None else cost <= 2.0)  # fmt: skip
    return rows


def _baselines(grouped: Mapping[tuple[str, str], list[Record]]) -> dict[str, Summary]:
    return {
        "dropout": plain_loop_summary(grouped, "mc-dropout"),
        "ensemble": plain_loop_summary(grouped, "deep-ensemble-5"),
    }


def all_targets_rows(
    grouped: Mapping[tuple[str, str], list[Record]],
    cli: Sequence[Record],
    costs: Mapping[str, float],
    pooled: Mapping[tuple[str, str], list[Record]] | None = None,
    cli_pooled: Sequence[Record] = (),
) -> list[list[str]]:
    """The targets for the default both ways (plain loop, ``bayescnn train``), then for
    issue #23's item 3 methods. Each way is judged against the twin, MC dropout and the
    5-ensemble of its own records: the ``pooled`` ones (today's calibration) where that
    method was run there, else ``grouped``'s (per-sample temperatures); ``bayescnn train``
    by ``cli_pooled``'s default runs when there are any, else by ``cli``'s."""
    per_sample = (plain_loop_summary(grouped, "twin"), _baselines(grouped))
    current = (
        per_sample if pooled is None else (plain_loop_summary(pooled, "twin"), _baselines(pooled))
    )

    def plain(method: str) -> tuple[str, Summary, Summary, dict[str, Summary], float | None]:
        found = None if pooled is None else plain_loop_summary(pooled, method)
        twin, baselines = current if found else per_sample
        form = "pooled T" if found else "per-sample T"
        mine = found or plain_loop_summary(grouped, method)
        label = LABELS[method] if method != DEFAULT_METHOD else f"default ({LABELS[method]})"
        return f"plain loop, {label}, {form}", mine, twin, baselines, costs.get(method)

    pooled_cli = cli_summary(cli_pooled, "default")
    cli_way = (
        "bayescnn train, no flags, " + ("pooled T" if pooled_cli else "per-sample T"),
        pooled_cli or cli_summary(cli, "default"),
        cli_summary(cli, "twin"),  # one answer per image: both forms are softmax(f / T)
        current[1] if pooled_cli else per_sample[1],
        costs.get(DEFAULT_METHOD),
    )
    ways = [plain(DEFAULT_METHOD), cli_way, plain(BEST_METHOD), plain("rank1-4")]
    return [row for way in ways if way[1] for row in targets_rows(*way)]  # measured ways


def pooled_rows(
    pooled: Mapping[tuple[str, str], list[Record]], tag: str, costs: Mapping[str, float]
) -> list[list[str]]:
    """The pool-then-calibrate comparison: the compact columns and each form's
    validation NLL on the same draws."""
    rows = comparison_rows(pooled, tag, costs)
    methods = [m for m in METHODS if pooled.get((tag, m))]
    for row, method in zip(rows, methods, strict=True):
        records = pooled[(tag, method)]
        nll = {
            form: mean(records, lambda r, key=key: r[key]["nll_calibrated"])
            for form, key in (("pooled", "temperature"), ("per-sample", "temperature_per_sample"))
        }
        row.insert(7, f"{nll['per-sample']:.4f} / {nll['pooled']:.4f}")
    return rows


POOLED_HEADER = [*COMPARISON_HEADER[:7], "valid NLL per-sample / pooled T", *COMPARISON_HEADER[7:]]


ALL_COLUMNS_PAGE = "comparison-all-columns.md"
"""The page of ``pages`` that holds every column of every method, written whole."""


def write(
    results: Path,
    costs_file: Path,
    cli_file: Path,
    pages: Path = RESULT_PAGES,
    pooled_file: Path | None = None,
    cli_pooled_file: Path | None = None,
) -> None:
    """Write the compact tables and the targets between their markers in the results
    pages under ``pages``, and every column into ``pages / ALL_COLUMNS_PAGE``."""
    grouped = load_records(results)
    pooled = (
        load_records(pooled_file) if pooled_file is not None and pooled_file.is_file() else None
    )
    cli = json.loads(cli_file.read_text()) if cli_file.is_file() else []
    has_cli_pooled = cli_pooled_file is not None and cli_pooled_file.is_file()
    cli_pooled = json.loads(cli_pooled_file.read_text()) if has_cli_pooled else []
    costs = json.loads(costs_file.read_text())["ratios"] if costs_file.is_file() else {}
    sections: dict[str, str] = {}
    parts = ["# The calibrated comparison, every column\n",
             "Written by `python -m benchmarks.comparison_tables` from "
             f"`benchmarks/{results.name}` (per-sample temperatures)"
             + (f" and `benchmarks/{pooled_file.name}` (pooled)" if pooled is not None else "")
             + "; mean ± sd over seeds. When, how and on which machine the runs were made: "
             "[the calibrated comparison](calibrated-comparison.md).\n"]  # fmt: skip
    for tag, (name, ood) in TAGS.items():
        table = markdown_table(COMPARISON_HEADER, comparison_rows(grouped, tag, costs), align="<")
        sections[f"comparison-{tag}"] = table
        header = ["method", "predictive", "seeds", "accuracy %", "NLL", "ECE",
                  *(f"AUROC {s}" for s in SCORES)]  # fmt: skip
        parts += [f"\n## {name} (OOD: {ood})\n",
                  markdown_table(header, full_rows(grouped, tag), align="<")]  # fmt: skip
        if pooled is not None:
            rows = pooled_rows(pooled, tag, costs)
            sections[f"comparison-pooled-{tag}"] = markdown_table(POOLED_HEADER, rows, align="<")
            parts += [f"\n## {name} (OOD: {ood}), calibrated with the pooled temperature\n",
                      markdown_table(header, full_rows(pooled, tag), align="<")]  # fmt: skip
    sections["targets-23"] = markdown_table(
        ["way", "target", "measured", "met?"],
        all_targets_rows(grouped, cli, costs, pooled, cli_pooled),
        align="<",
    )
    for missing in write_sections(sections, pages):
        print(f"warning: no page of {pages} has the markers of section {missing!r}")
    (pages / ALL_COLUMNS_PAGE).write_text("\n".join(parts) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.comparison_tables")
    parser.add_argument(
        "--results", type=Path, default=ROOT / "benchmarks" / "results-comparison.jsonl"
    )
    parser.add_argument("--costs", type=Path, default=ROOT / "benchmarks" / "results-costs.json")
    parser.add_argument("--cli", type=Path, default=ROOT / "benchmarks" / "results-cli-way.json")
    parser.add_argument(
        "--pooled",
        type=Path,
        default=ROOT / "benchmarks" / "results-comparison-pooled.jsonl",
        help="records calibrated with the pooled temperature (today's default form)",
    )
    parser.add_argument(
        "--cli-pooled",
        type=Path,
        default=ROOT / "benchmarks" / "results-cli-way-pooled.json",
        help="benchmarks.cli_way's default runs calibrated with the pooled temperature",
    )
    parser.add_argument(
        "--pages",
        type=Path,
        default=RESULT_PAGES,
        help="the folder of the results pages the tables are written into",
    )
    args = parser.parse_args(argv)
    write(args.results, args.costs, args.cli, args.pages, args.pooled, args.cli_pooled)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
