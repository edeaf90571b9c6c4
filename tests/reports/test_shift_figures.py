"""Figures under dataset shift: box plots per severity and risk-coverage curves."""

import pytest
import torch

from bayescnn import models
from bayescnn.data import ImageData
from bayescnn.errors import InvalidArgumentError
from bayescnn.reports import plot_risk_coverage, plot_shift_boxplots
from bayescnn.shift import evaluate_shift

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def records():
    generator = torch.Generator().manual_seed(0)
    data = ImageData(
        images=torch.randint(0, 256, (24, 1, 16, 16), dtype=torch.uint8, generator=generator),
        labels=torch.randint(0, 10, (24,), generator=generator),
        classes=tuple("0123456789"),
    )
    found = {}
    for kind, bayesian in (("bayesian", True), ("frequentist", False)):
        torch.manual_seed(0)
        model = models.create("lenet", bayesian=bayesian, in_channels=1, image_size=16)
        found[kind] = evaluate_shift(
            model, data, mean=(0.5,), std=(0.5,), corruptions=["contrast", "zoom"],
            severities=[1, 3], samples=2,
        )  # fmt: skip
    return found


def test_box_plots_are_drawn_from_records(records, tmp_path) -> None:
    path = plot_shift_boxplots(records, tmp_path / "boxes.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_box_plots_are_drawn_from_rows_read_back_from_json(records, tmp_path) -> None:
    rows = {kind: [r.to_dict() for r in found] for kind, found in records.items()}
    path = plot_shift_boxplots(rows, tmp_path / "boxes.png", metrics=("nll", "epistemic"))
    assert path.is_file()


def test_risk_coverage_curves_are_drawn_per_model_and_score(records, tmp_path) -> None:
    path = plot_risk_coverage(records, tmp_path / "risk.png", scores=("entropy",))
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_risk_coverage_needs_records_that_keep_their_curves(records, tmp_path) -> None:
    from dataclasses import replace

    bare = {"bayesian": [replace(r, risk_coverage={}) for r in records["bayesian"]]}
    with pytest.raises(InvalidArgumentError, match="risk-coverage curve"):
        plot_risk_coverage(bare, tmp_path / "risk.png")


def test_nothing_to_plot_is_an_error(tmp_path) -> None:
    with pytest.raises(InvalidArgumentError):
        plot_shift_boxplots({}, tmp_path / "boxes.png")
