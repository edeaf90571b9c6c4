"""Tests for bayescnn.reports.plots."""

import pytest
import torch
from PIL import Image

from bayescnn import models
from bayescnn.errors import InvalidArgumentError
from bayescnn.reports import plot_training_curves, plot_weight_distributions

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_valid_png(path):
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with Image.open(path) as image:
        image.verify()


def lenet(bayesian: bool):
    torch.manual_seed(0)
    return models.create("lenet", bayesian=bayesian, in_channels=1, image_size=16)


def _rows(epochs: int) -> list[dict]:
    """Metrics rows shaped like a run's metrics.jsonl."""
    return [
        {
            "epoch": epoch,
            "train_loss": 2.0 / epoch,
            "train_nll": 1.5 / epoch,
            "train_kl": 100.0 / epoch,
            "train_acc": 0.5 + 0.1 * epoch,
            "valid_nll": 1.6 / epoch,
            "valid_accuracy": 0.45 + 0.1 * epoch,
            "lr": 0.001,
        }
        for epoch in range(1, epochs + 1)
    ]


def test_no_legend_overlaps_any_panel_and_each_lies_inside_the_figure():
    from bayescnn.reports.plots import training_curves_figure

    figure = training_curves_figure(_rows(5))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    panels = [axis for axis in figure.axes if axis.get_visible()]
    assert len(panels) == 4
    for axis in panels:
        legend = axis.get_legend().get_window_extent(renderer)
        for other in panels:
            assert not legend.overlaps(other.get_window_extent(renderer))
        assert figure.bbox.x0 <= legend.x0 and legend.x1 <= figure.bbox.x1
        assert figure.bbox.y0 <= legend.y0 and legend.y1 <= figure.bbox.y1


def test_training_curves_are_a_valid_png(tmp_path):
    rows = _rows(3)
    path = plot_training_curves(rows, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    assert_valid_png(path)


def test_training_curves_skip_missing_and_absent_metrics(tmp_path):
    rows = [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5, "valid_acc": None}]
    assert_valid_png(plot_training_curves(rows, tmp_path / "loss.png"))


def test_training_curves_without_metrics_are_rejected(tmp_path):
    with pytest.raises(InvalidArgumentError, match="no metrics"):
        plot_training_curves([{"epoch": 1}], tmp_path / "none.png")


def test_weight_distributions_with_frequentist_points_are_a_valid_png(tmp_path):
    path = plot_weight_distributions(lenet(True), lenet(False), out_png=tmp_path / "w.png")
    assert_valid_png(path)


def test_weight_distributions_of_a_named_layer_are_a_valid_png(tmp_path):
    path = plot_weight_distributions(lenet(True), out_png=tmp_path / "fc.png", layer="fc3")
    assert_valid_png(path)


def test_weight_distributions_of_an_unknown_layer_are_rejected(tmp_path):
    with pytest.raises(
        InvalidArgumentError, match=r"'act1' is not a Bayesian layer.*fc1, fc2, fc3"
    ):
        plot_weight_distributions(lenet(True), out_png=tmp_path / "x.png", layer="act1")
