"""The peer tables of the results page ``docs/results/peers.md``, generated from
``benchmarks/results-peers.json``.

A number that the JSON does not hold is written as "not measured", never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bayescnn.reports import markdown_table
from benchmarks.peers.libraries import PEERS
from benchmarks.report import has_section, replace_section
from benchmarks.scoring import mean_sd

NOT_MEASURED = "not measured"
MARKER = "peers"
QUALITY_COLUMNS = (
    ("accuracy", "accuracy %", 100.0, 2),
    ("nll", "NLL", 1.0, 4),
    ("ece", "ECE", 1.0, 4),
    ("auroc_mutual_info", "MI AUROC", 1.0, 3),
)
STEP_COMMAND = "python -m benchmarks.peers --sections step,predict"
QUALITY_COMMAND = "python -m benchmarks.peers --sections quality --device cuda --workers 16"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _environment(section: Mapping[str, Any]) -> str:
    env = section.get("environment", {})
    where = env.get("gpu") or env.get("processor", "?")
    return (
        f"{env.get('device', '?')} ({where}, {env.get('torch_threads', '?')} threads), "
        f"torch {env.get('torch', '?')}, {section.get('mode', 'full')} run"
    )


def step_table(section: Mapping[str, Any] | None) -> str:
    """ms per training step and its ratios, or the command that measures it."""
    if section is None:
        return f"Training step: {NOT_MEASURED} yet (`{STEP_COMMAND}`)."
    rows = [
        [
            r["variant"],
            f"{r['median']:.2f}",
            _ratio(r["ratio"]) + (f" ({r['baseline']})" if r["baseline"] else ""),
            _ratio(r["ratio_to_frequentist"]),
        ]
        for r in section["rows"]
    ]
    header = ["variant", "ms/step", "x ours, same estimator", "x frequentist"]
    title = f"Training step, batch {section['batch_size']}, 1x32x32, {_environment(section)}:"
    return f"{title}\n\n{markdown_table(header, rows)}"


def predict_table(section: Mapping[str, Any] | None) -> str:
    """ms per S-sample prediction at each batch size, or the command that measures it."""
    if section is None:
        return f"Prediction: {NOT_MEASURED} yet (`{STEP_COMMAND}`)."
    batches = section["batches"]
    by_variant: dict[str, list[str]] = {}
    for rows in batches.values():
        for r in rows:
            by_variant.setdefault(r["variant"], []).extend(
                [f"{r['median']:.1f}", _ratio(r["ratio"])]
            )
    header = ["variant"]
    for size in batches:
        header += [f"batch {size}, ms", "x ours"]
    rows = [[name, *cells] for name, cells in by_variant.items()]
    title = f"Prediction, S = {section['samples']} samples, no_grad, {_environment(section)}:"
    return f"{title}\n\n{markdown_table(header, rows)}"


def quality_table(section: Mapping[str, Any] | None) -> str:
    """Mean ± standard deviation over seeds of every (peer, weighting), "not measured"
    where no run is in the JSON."""
    runs = [] if section is None else section["runs"]
    rows = []
    for peer in PEERS.values():
        for weighting, spec in peer.weightings.items():
            found = [r for r in runs if r["peer"] == peer.name and r["weighting"] == weighting]
            if found:
                cells = [mean_sd([r[k] for r in found], d, s) for k, _, s, d in QUALITY_COLUMNS]
                seeds = str(len(found))
            else:
                cells, seeds = [NOT_MEASURED] * len(QUALITY_COLUMNS), "0"
            rows.append([peer.name, spec.description, *cells, seeds])
    header = ["variant", "loss", *(label for _, label, _, _ in QUALITY_COLUMNS), "seeds"]
    if section is None:
        title = f"Quality: {NOT_MEASURED} yet (`{QUALITY_COMMAND}`)."
    else:
        settings = section["settings"]
        title = (
            f"Quality: Fashion-MNIST, {settings['epochs']} epochs, Adam lr 1e-3, batch 256, "
            f"{settings['samples']} samples; MI AUROC against digits; {_environment(section)}; "
            f"mean ± sd over seeds:"
        )
    return f"{title}\n\n{markdown_table(header, rows, align='<')}"


def peers_section(results: Mapping[str, Any]) -> str:
    """Every table of the results page's peers section."""
    steps = [k for k in results if k.startswith("step-")] or [None]
    predicts = [k for k in results if k.startswith("predict-")] or [None]
    parts = [step_table(results.get(k) if k else None) for k in steps]
    parts += [predict_table(results.get(k) if k else None) for k in predicts]
    parts.append(quality_table(results.get("quality")))
    return "\n\n".join(parts)


def write_page(page: Path, results: Mapping[str, Any]) -> bool:
    """Replace the text between ``<!-- results:peers -->`` and its end marker in ``page``;
    returns whether the markers were found."""
    text = page.read_text()
    if not has_section(text, MARKER):
        return False
    page.write_text(replace_section(text, MARKER, peers_section(results)))
    return True
