"""``bayescnn inspect`` and ``bayescnn prune``: the posterior's health and what it is worth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bayescnn.cli.samples_option import add_samples_option
from bayescnn.errors import InvalidArgumentError

DEFAULT_FRACTIONS = "0.5,0.75,0.9,0.95,0.98"


def add_posterior_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Register ``inspect`` and ``prune``."""
    inspect = commands.add_parser(
        "inspect",
        help="per-layer posterior table (KL, sigma, SNR) and SNR/sigma histograms",
        description="Print each Bayesian layer's KL, mean sigma and fraction of weights with "
        "signal-to-noise ratio |mu|/sigma below 1; draw RUN/posterior.png.",
    )
    inspect.add_argument("run", metavar="RUN", help="run folder or .safetensors file")
    inspect.set_defaults(handler=cmd_inspect)

    prune = commands.add_parser(
        "prune",
        help="test accuracy, NLL and ECE after removing the lowest-SNR weights",
        description="Remove the given fractions of weights by signal-to-noise ratio (and, as "
        "the baseline, by |mu|) and score the test set; writes prune.json, prune.csv and "
        "pruning.png into RUN/prune/.",
    )
    prune.add_argument("run", metavar="RUN", help="run folder or .safetensors file")
    prune.add_argument(
        "--fractions",
        default=DEFAULT_FRACTIONS,
        help=f"fractions of weights to remove, comma-separated, each in [0, 1] "
        f"(default: {DEFAULT_FRACTIONS})",
    )
    add_samples_option(prune)
    prune.add_argument("--limit", type=int, help="score at most N test images")
    prune.add_argument("--save", action="store_true", help="write each SNR-pruned model")
    prune.add_argument("--device", default="auto", help="auto, cpu or cuda")
    prune.set_defaults(handler=cmd_prune)


def cmd_inspect(args: argparse.Namespace) -> int:
    from bayescnn.analysis import layer_statistics
    from bayescnn.io import check_writable_dir
    from bayescnn.nn import describe
    from bayescnn.reports.posterior_figures import plot_posterior_histograms
    from bayescnn.reports.tables import text_table
    from bayescnn.runs import open_run

    run = open_run(args.run)
    stats = layer_statistics(run.model)
    if not stats:
        raise InvalidArgumentError(f"{args.run} is a frequentist run: it has no posterior")
    check_writable_dir(run.checkpoint.parent, min_free_bytes=0, what="run folder")
    print(describe(run.model))
    header = ["layer", "weights", "KL (nats)", "KL/weight", "mean sigma", "SNR<1"]
    rows = [
        [name, s.weights, f"{s.kl:.4g}", f"{s.kl_per_weight:.3g}", f"{s.mean_sigma:.3g}",
         f"{100 * s.snr_below_1:.1f}%"]
        for name, s in stats.items()
    ]  # fmt: skip
    print(text_table(header, rows, rule=False))
    figure = plot_posterior_histograms(run.model, run.checkpoint.parent / "posterior.png")
    print(f"wrote {figure}")
    return 0


def _fractions(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidArgumentError(
            f"--fractions must be numbers separated by commas, got {text!r}"
        ) from None
    bad = [v for v in values if not 0.0 <= v <= 1.0]
    if bad or not values:
        raise InvalidArgumentError(f"every fraction must be in [0, 1], got {bad or text!r}")
    return sorted(set(values))


def cmd_prune(args: argparse.Namespace) -> int:
    from bayescnn.analysis import prune_by_magnitude, prune_by_snr
    from bayescnn.io import check_writable_dir, save_checkpoint
    from bayescnn.runs import load_splits, make_loader, open_run
    from bayescnn.runtime.device import resolve_device
    from bayescnn.runtime.progress import with_progress
    from bayescnn.seeding import Stream, seeded
    from bayescnn.train import evaluate

    fractions = _fractions(args.fractions)
    if args.samples is not None and args.samples < 1:
        raise InvalidArgumentError(f"--samples must be >= 1, got {args.samples}")
    device = resolve_device(args.device)
    run = open_run(args.run, device=device)
    out = check_writable_dir(run.checkpoint.parent / "prune", min_free_bytes=0, what="folder")
    splits = load_splits(run.config)
    test = (
        splits.test
        if args.limit is None
        else splits.test.subset(range(min(args.limit, len(splits.test))))
    )
    loader = make_loader(test, splits, run.config, device, train=False)
    rows: list[dict[str, Any]] = []
    for criterion, prune in (("snr", prune_by_snr), ("magnitude", prune_by_magnitude)):
        for fraction in [0.0, *fractions]:
            model = open_run(args.run, device=device).model
            removed = prune(model, fraction)
            with seeded(run.config.seed, device, stream=Stream.TEST):
                shown = with_progress(loader, f"test, {fraction:g} removed by {criterion}")
                metrics = evaluate(model, shown, samples=args.samples)
            rows.append(
                {
                    "criterion": criterion,
                    "fraction": fraction,
                    "removed": sum(removed.values()),
                    **metrics,
                }
            )
            if args.save and criterion == "snr" and fraction > 0:
                path = out / f"pruned-snr-{fraction:g}.safetensors"
                meta = {"config": run.config.to_dict(), "epoch": 0, "best_valid_nll": None,
                        "pruned": {"criterion": "snr", "fraction": fraction, "removed": removed}}  # fmt: skip
                save_checkpoint(path, model_state=model.state_dict(), metadata=meta)
    _report(rows, out, args.run)
    return 0


def accuracy_changes(label: str, points: list[tuple[float, float]]) -> str:
    """One line: the accuracy change, in signed percentage points, at each pruned fraction
    ``(fraction, accuracy)`` from the unpruned model's (the first point, fraction 0)."""
    base = points[0][1]
    changes = ", ".join(f"{f:g} removed {100 * (acc - base):+.2f}" for f, acc in points[1:])
    return f"{label}: accuracy change from the unpruned model's {100 * base:.2f}%, in points: {changes}"


def _report(rows: list[dict[str, Any]], out: Path, run: str) -> None:
    from bayescnn.reports.posterior_figures import plot_pruning_curves
    from bayescnn.reports.tables import text_table

    (out / "prune.json").write_text(json.dumps(rows, indent=2) + "\n")
    keys = ["criterion", "fraction", "removed", "accuracy", "nll", "ece"]
    lines = [",".join(keys)] + [",".join(str(row[k]) for k in keys) for row in rows]
    (out / "prune.csv").write_text("\n".join(lines) + "\n")
    header = ["criterion", "fraction", "removed", "accuracy", "NLL", "ECE"]
    cells = [
        [row["criterion"], f"{row['fraction']:.3g}", row["removed"], f"{100 * row['accuracy']:.2f}%",
         f"{row['nll']:.3f}", f"{row['ece']:.4f}"]
        for row in rows
    ]  # fmt: skip
    print(text_table(header, cells, rule=False))
    curves = {}
    for criterion, label in (("snr", "by SNR |mu|/sigma"), ("magnitude", "by |mu|")):
        points = [(r["fraction"], r["accuracy"]) for r in rows if r["criterion"] == criterion]
        curves[label] = points
        print(accuracy_changes(label, points))
    figure = plot_pruning_curves(curves, out / "pruning.png", title=f"Pruning {Path(run).name}")
    print(f"wrote {out / 'prune.json'}, {out / 'prune.csv'} and {figure}")
