"""Issue #12's targets, checked from the measured results rather than copied by hand.

Two ways, as the issue asks: ``bayescnn train`` with no flags (the sweep's default run,
its ``test.json``, and the comparison's OOD scores) and a user's own plain loop on
``models.create`` (:mod:`benchmarks.plain_loop`'s JSON). The training-cost target uses the
controlled CPU step ratio of ``benchmarks/results-cpu.json`` (the wall-clock seconds of the
runs were measured while several jobs shared the cores).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from bayescnn import defaults

ROOT = Path(__file__).resolve().parent.parent
STEP_RESULTS = ROOT / "benchmarks" / "results-cpu.json"
DEFAULT_RUN = "lenet-bayesian-flipout"
"""The sweep's run with every default (flipout): what ``bayescnn train`` gives with no flags."""
TWIN_RUN = "lenet-frequentist-seed0"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _step_ratio(estimator: str) -> float | None:
    """The estimator's CPU training-step time over its frequentist twin's (LeNet-5)."""
    if not STEP_RESULTS.is_file():
        return None
    rows = json.loads(STEP_RESULTS.read_text())["rows"]
    return next((r["ratio"] for r in rows if r["name"] == f"lenet {estimator}"), None)


def _measured(
    way: str,
    tag: str,
    records: Mapping[str, dict],
    plain: Mapping[str, dict],
    mi: Mapping[str, float],
) -> tuple[dict, dict, float | None] | None:
    """(Bayesian test metrics, the twin's, the Bayesian MI AUROC), or None if not measured."""
    if way == "plain loop":
        rows = plain.get(tag, {}).get("rows")
        return None if not rows else (rows[0], rows[1], rows[0]["auroc_mutual_info"])
    bayes, twin = records.get(f"{tag}-{DEFAULT_RUN}"), records.get(f"{tag}-{TWIN_RUN}")
    if bayes is None or twin is None:
        return None
    return bayes["test"]["predictive"], twin["test"]["predictive"], mi.get(tag)


DATASET_TARGETS = {  # tag: (name, accuracy floor, gap to the twin in points, OOD set, MI floor)
    "mnist": ("MNIST", 0.99, 0.3, "Fashion-MNIST", 0.97),
    "fmnist": ("Fashion-MNIST", None, 0.5, "digits", 0.93),
}


def _in_distribution_rows(
    way: str, records: Mapping[str, dict], plain: Mapping[str, dict], mi: Mapping[str, float]
) -> list[list[str]]:
    rows = []
    for tag, (name, floor, gap, ood, mi_floor) in DATASET_TARGETS.items():
        measured = _measured(way, tag, records, plain, mi)
        if measured is None:
            continue
        bayes, twin, auroc = measured
        behind = 100 * (twin["accuracy"] - bayes["accuracy"])
        ok = behind <= gap and (floor is None or bayes["accuracy"] >= floor)
        target = f"{name} accuracy" + (f" >= {100 * floor:.1f}% and" if floor else "")
        rows.append([f"{target} within {gap} points of the twin",
                     f"{100 * bayes['accuracy']:.2f}% vs {100 * twin['accuracy']:.2f}%", _yes(ok)])  # fmt: skip
        rows.append([f"{name} ECE <= the twin's", f"{bayes['ece']:.4f} vs {twin['ece']:.4f}",
                     _yes(bayes["ece"] <= twin["ece"])])  # fmt: skip
        if auroc is not None:
            rows.append([f"OOD AUROC by mutual information, {name} vs {ood} >= {mi_floor}",
                         f"{auroc:.3f}", _yes(auroc >= mi_floor)])  # fmt: skip
    return [[way, *row] for row in rows]


def _against_rows(summaries: Mapping[str, list[dict]], default_label: str) -> list[list[str]]:
    """The default Bayesian model against MC dropout and a deep ensemble of 5 (CLI harness)."""
    rows = []
    for tag, name in (("fmnist", "Fashion-MNIST"), ("mnist", "MNIST")):
        by_label = {s["label"]: s for s in summaries.get(tag) or []}
        ours = by_label.get(default_label)
        if ours is None:
            continue
        mine, my_mi = ours["in_distribution"], ours["ood_detection"]["mutual_info"]["auroc"]
        dropout = by_label.get("MC dropout (p = 0.25)")
        if dropout is not None:
            theirs = dropout["in_distribution"]
            their_mi = dropout["ood_detection"]["mutual_info"]["auroc"]
            checks = {"accuracy": mine["accuracy"] >= theirs["accuracy"],
                      "NLL": mine["nll"] <= theirs["nll"], "ECE": mine["ece"] <= theirs["ece"],
                      "OOD AUROC (MI)": my_mi >= their_mi}  # fmt: skip
            measured = (f"accuracy {100 * mine['accuracy']:.2f}% vs {100 * theirs['accuracy']:.2f}%, "
                        f"NLL {mine['nll']:.4f} vs {theirs['nll']:.4f}, "
                        f"ECE {mine['ece']:.4f} vs {theirs['ece']:.4f}, "
                        f"MI AUROC {my_mi:.3f} vs {their_mi:.3f}")  # fmt: skip
            lost = [k for k, ok in checks.items() if not ok]
            verdict = "yes" if not lost else "**no** (loses on " + ", ".join(lost) + ")"
            rows.append([f"{name}: matches or beats MC dropout", measured, verdict])
        ensemble = by_label.get("deep ensemble of 5")
        if ensemble is not None:
            their_mi = ensemble["ood_detection"]["mutual_info"]["auroc"]
            ratio = _step_ratio(defaults.ESTIMATOR)
            cost = f", training cost {ratio / 5:.2f} of the ensemble's" if ratio else ""
            ok = my_mi >= their_mi - 0.01 and ratio is not None and ratio <= 1.0
            rows.append([f"{name}: MI AUROC within 0.01 of a deep ensemble of 5, at <= 1/5 of its cost",
                         f"{my_mi:.3f} vs {their_mi:.3f}{cost}", _yes(ok)])  # fmt: skip
    return [["bayescnn train", *row] for row in rows]


def targets_rows(
    records: Mapping[str, dict],
    summaries: Mapping[str, list[dict]],
    plain: Mapping[str, dict],
    default_label: str,
) -> list[list[str]]:
    """Every target as (way, target, measured, met?), for the targets table of the results."""
    mi = {}
    for tag, found in summaries.items():
        ours = next((s for s in found or [] if s["label"] == default_label), None)
        if ours is not None:
            mi[tag] = ours["ood_detection"]["mutual_info"]["auroc"]
    rows = _in_distribution_rows("bayescnn train", records, plain, mi)
    rows += _in_distribution_rows("plain loop", records, plain, mi)
    return rows + _against_rows(summaries, default_label)
