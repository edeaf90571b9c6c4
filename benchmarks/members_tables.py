"""Tables of the packed members' study: the samples each member needs, the members
trained on shares of the batch, and the members' targets (training step, prediction,
quality against today's members).

``python -m benchmarks.members_tables [--pooled FILE.jsonl] [--costs FILE.json]
[--packed FILE.json]`` writes the ``<!-- results:members-samples-TAG -->``,
``<!-- results:members-split-batch -->`` and ``<!-- results:targets-members -->``
sections of ``docs/results/packed-members.md`` from
the calibrated comparison's records (:mod:`benchmarks.comparison` run with
``--sample-sweep``), the controlled step costs (:mod:`benchmarks.method_costs`) and the
prediction costs (:mod:`benchmarks.packed_step`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bayescnn import defaults
from bayescnn.reports import markdown_table
from benchmarks.comparison import METHODS, ROOT
from benchmarks.comparison_tables import TAGS, Record, load_records, mean, plain_loop_summary
from benchmarks.report import RESULT_PAGES, write_sections
from benchmarks.scoring import mean_sd

BEFORE = "members-4-rho1"
"""The members as they were: Flipout in every layer, 25 samples of each member."""
AFTER = "members-4-bbb-rho1"
"""The members as ``models.create(..., members=4)`` builds them now: weight sampling."""
MEMBERS: int = METHODS[AFTER].create["members"]
"""How many members the tables' network has."""
SPLIT = "members-4-bbb-split-rho1"
"""The same members, each trained on its share of every batch (one network's step)."""
STEP_LIMIT = 4.0
PREDICT_LIMIT = 4.0
MI_TOLERANCE = 0.005
ECE_MARGIN = 0.001


def scores_by_samples(records: Sequence[Record]) -> dict[int, list[dict[str, Any]]]:
    """Each record's calibrated scores by samples per member S: the main run's S and
    every S of its sweep (each calibrated at that S)."""
    found: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        found.setdefault(record["samples"], []).append(record["calibrated"])
        for count, swept in record.get("by_samples", {}).items():
            found.setdefault(int(count), []).append(swept["calibrated"])
    return found


def score_cells(scored: Sequence[Mapping[str, Any]]) -> list[str]:
    """Calibrated accuracy %, NLL, ECE and MI AUROC, mean ± sd over the seeds' scores."""
    return [
        mean_sd([s["accuracy"] for s in scored], 2, 100.0),
        mean_sd([s["nll"] for s in scored]),
        mean_sd([s["ece"] for s in scored]),
        mean_sd([s["auroc"]["mutual_info"] for s in scored], 3),
    ]


def sample_rows(records: Sequence[Record]) -> list[list[str]]:
    """One row per samples-per-member S of the sweep (and the main S): calibrated
    accuracy, NLL, ECE and MI AUROC, mean ± sd over the seeds, with that S's own
    temperature."""
    rows = []
    for count, scored in sorted(scores_by_samples(records).items()):
        rows.append([f"{count} ({count * MEMBERS} in all)", str(len(scored)), *score_cells(scored)])
    return rows


SAMPLE_HEADER = ["samples per member", "seeds", "accuracy %", "NLL", "ECE", "MI AUROC"]


def target_rows(
    grouped: Mapping[tuple[str, str], list[Record]],
    costs: Mapping[str, float],
    packed: Mapping[str, Any],
    samples: int,
) -> list[list[str]]:
    """The members' targets, each with what was measured and whether it is met."""
    rows: list[list[str]] = []

    def add(target: str, measured: str, met: bool | None) -> None:
        rows.append(
            [target, measured, "not measured" if met is None else "yes" if met else "**no**"]
        )

    step = costs.get(AFTER)
    add(
        f"training step <= {STEP_LIMIT}x the twin's (CPU, controlled)",
        "not measured" if step is None else f"{step:.2f}x (before: {costs.get(BEFORE, 0):.2f}x)",
        None if step is None else step <= STEP_LIMIT,
    )
    predict = packed.get("predict", {}).get("ratio", {}).get(f"members bbb S={samples}")
    add(
        f"prediction at the default ({samples} samples per member) <= {PREDICT_LIMIT}x the "
        f"default single network's ({defaults.SAMPLES} samples)",
        "not measured" if predict is None else f"{predict:.2f}x",
        None if predict is None else predict <= PREDICT_LIMIT,
    )
    twin = plain_loop_summary(grouped, "twin")
    for tag, (name, _) in TAGS.items():
        before, after = (
            grouped.get((tag, BEFORE)),
            scores_by_samples(grouped.get((tag, AFTER), [])).get(samples, []),
        )
        if not before or not after or tag not in twin:
            continue
        mi_before = mean(before, lambda r: r["calibrated"]["auroc"]["mutual_info"])
        mi_after = mean(after, lambda s: s["auroc"]["mutual_info"])
        add(
            f"{name} MI AUROC within {MI_TOLERANCE} of the members before",
            f"{mi_after:.3f} vs {mi_before:.3f}",
            mi_after >= mi_before - MI_TOLERANCE,
        )
        ece = mean(after, lambda s: s["ece"])
        ece_before = mean(before, lambda r: r["calibrated"]["ece"])
        add(
            f"{name} ECE <= the calibrated twin's + {ECE_MARGIN}",
            f"{ece:.4f} vs the twin's {twin[tag]['ece']:.4f} (before: {ece_before:.4f})",
            ece <= twin[tag]["ece"] + ECE_MARGIN,
        )
    for target in (
        "GPU: LeNet-5 BBB step <= 1.3x the twin, LRT/Flipout <= 2.0x",
        "GPU: ResNet-18 BBB step <= 1.2x the twin, LRT/Flipout <= 2.0x",
        "GPU: 4 members <= 2.0x the twin; every peer slower than ours",
    ):
        add(target, "no GPU was lent for this measurement", None)
    return rows


def split_rows(
    grouped: Mapping[tuple[str, str], list[Record]], costs: Mapping[str, float], samples: int
) -> list[list[str]]:
    """The members trained on the shared batch and on shares of it, side by side: per
    dataset, the step's cost and the calibrated scores at ``samples`` per member and at the
    harness' main S, mean ± sd over the seeds."""
    rows = []
    for tag, (dataset, _) in TAGS.items():
        for method, batch in ((AFTER, "shared"), (SPLIT, f"a 1/{MEMBERS} share each")):
            by_samples = scores_by_samples(grouped.get((tag, method), []))
            for count in sorted({samples, max(by_samples, default=samples)} & set(by_samples)):
                scored = by_samples[count]
                step = costs.get(method)
                cost = "not measured" if step is None else f"{step:.2f}x"
                rows.append([dataset, batch, cost, str(count), str(len(scored)),
                             *score_cells(scored)])  # fmt: skip
    return rows


SPLIT_HEADER = ["dataset", "batch of each member", "step x twin", "samples per member",
                "seeds", "accuracy %", "NLL", "ECE", "MI AUROC"]  # fmt: skip


def write(pooled: Path, costs_file: Path, packed_file: Path, samples: int, pages: Path) -> None:
    """Write the members' sections into the results pages under ``pages``."""
    grouped = load_records(pooled)
    costs = json.loads(costs_file.read_text())["ratios"] if costs_file.is_file() else {}
    packed = json.loads(packed_file.read_text()) if packed_file.is_file() else {}
    sections = {
        f"members-samples-{tag}": markdown_table(
            SAMPLE_HEADER, sample_rows(grouped.get((tag, AFTER), [])), align="<"
        )
        for tag in TAGS
    }
    sections["members-split-batch"] = markdown_table(
        SPLIT_HEADER, split_rows(grouped, costs, samples), align="<"
    )
    sections["targets-members"] = markdown_table(
        ["target", "measured", "met?"], target_rows(grouped, costs, packed, samples), align="<"
    )
    for missing in write_sections(sections, pages):
        print(f"warning: no page of {pages} has the markers of section {missing!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.members_tables", description=__doc__
    )
    benchmarks = ROOT / "benchmarks"
    parser.add_argument(
        "--pooled", type=Path, default=benchmarks / "results-comparison-pooled.jsonl"
    )
    parser.add_argument("--costs", type=Path, default=benchmarks / "results-costs.json")
    parser.add_argument("--packed", type=Path, default=benchmarks / "results-packed-step.json")
    parser.add_argument("--samples", type=int, default=defaults.MEMBER_SAMPLES)
    parser.add_argument("--pages", type=Path, default=RESULT_PAGES)
    args = parser.parse_args(argv)
    write(args.pooled, args.costs, args.packed, args.samples, args.pages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
