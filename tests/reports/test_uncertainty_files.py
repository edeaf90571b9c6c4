"""Tests for bayescnn.reports.uncertainty_report (reports/uncertainty_files.py) and
format_summary_table."""

import csv
import json

import pytest
import torch

from bayescnn import models
from bayescnn.data import ImageData, load_ood_set
from bayescnn.errors import InvalidArgumentError
from bayescnn.reports import REPORT_FILES, format_summary_table, uncertainty_report
from bayescnn.uncertainty import list_ood_scores

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """An untrained Bayesian LeNet on 40 digits (in) and 30 noise images (out)."""
    torch.manual_seed(0)
    model = models.create("lenet", bayesian=True, in_channels=1, image_size=16, num_classes=10)
    in_data = load_ood_set("digits", like=_shape_probe(), limit=40)
    ood_data = load_ood_set("noise", like=in_data, limit=30)
    out_dir = tmp_path_factory.mktemp("report")
    summary = uncertainty_report(
        model,
        in_data,
        ood_data,
        mean=(0.5,),
        std=(0.5,),
        samples=3,
        batch_size=16,
        out_dir=out_dir,
        ood_name="noise",
        in_name="digits",
        example_indices={"in": [1], "out": [2]},
    )
    return summary, out_dir, model, in_data, ood_data


def _shape_probe() -> ImageData:
    """One blank 1x16x16 image: only its shape matters."""
    return ImageData(
        images=torch.zeros(1, 1, 16, 16, dtype=torch.uint8),
        labels=torch.zeros(1, dtype=torch.int64),
        classes=("x",),
    )


def test_writes_every_report_file(report):
    _, out_dir, *_ = report
    for name in REPORT_FILES.values():
        assert (out_dir / name).is_file(), name
    for key in ("histograms", "reliability", "examples"):
        assert (out_dir / REPORT_FILES[key]).read_bytes().startswith(PNG_SIGNATURE)


def test_json_has_the_documented_keys(report):
    summary, out_dir, *_ = report
    written = json.loads((out_dir / REPORT_FILES["summary"]).read_text())
    assert written == summary
    assert set(written) == {
        "in_name",
        "ood_name",
        "samples",
        "num_in",
        "num_out",
        "in_distribution",
        "mean_confidence",
        "uncertainty",
        "ood_detection",
        "files",
    }
    assert set(written["in_distribution"]) == {
        "accuracy",
        "nll",
        "brier",
        "ece",
        "mce",
        "calibration_bins",
    }
    assert len(written["in_distribution"]["calibration_bins"]["count"]) == 15
    assert set(written["uncertainty"]) == {"softmax", "normalized", "entropy"}
    for parts in written["uncertainty"].values():
        assert {"aleatoric", "epistemic"} <= set(parts["in"]) and parts["out"].keys() == parts[
            "in"
        ].keys()
        assert parts["in"]["epistemic"] > 0  # sampled with 3 draws
    for metrics in written["ood_detection"].values():
        assert set(metrics) == {"auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"}
    assert {"max_prob", "entropy", "mutual_info"} <= set(written["ood_detection"])
    assert (written["num_in"], written["num_out"], written["samples"]) == (40, 30, 3)


def test_ood_detection_covers_every_registered_score(report):
    summary, *_ = report
    assert list(summary["ood_detection"]) == list_ood_scores()


def test_csv_has_in_and_out_rows(report):
    _, out_dir, *_ = report
    with (out_dir / REPORT_FILES["scores"]).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["set"] for row in rows] == ["in"] * 40 + ["out"] * 30
    assert {"index", "label", "score_entropy", "softmax_epistemic", "entropy_epistemic"} <= set(
        rows[0]
    )
    assert rows[0]["label"] != "" and rows[-1]["label"] == ""
    assert float(rows[0]["score_max_prob"]) >= 0


def test_table_contains_the_method_and_score_names(report):
    summary, *_ = report
    table = format_summary_table(summary)
    for name in ("softmax", "normalized", "entropy", "max_prob", "AUROC", "ECE", "noise"):
        assert name in table
    assert "|" not in table


def test_markdown_table_has_pipe_rows_for_every_method(report):
    summary, *_ = report
    table = format_summary_table(summary, markdown=True)
    for method in ("softmax", "normalized", "entropy"):
        assert f"| {method} |" in table
    assert "| --- |" in table


def test_mismatched_ood_shape_is_rejected(report, tmp_path):
    _, _, model, in_data, _ = report
    rgb = load_ood_set("noise", like=in_data, limit=4)
    rgb = ImageData(images=rgb.images.expand(-1, 3, -1, -1), labels=rgb.labels, classes=rgb.classes)
    with pytest.raises(InvalidArgumentError, match="must match"):
        uncertainty_report(
            model, in_data, rgb, mean=(0.5,), std=(0.5,), out_dir=tmp_path, ood_name="rgb"
        )


def test_out_of_range_example_index_is_rejected(report, tmp_path):
    _, _, model, in_data, ood_data = report
    with pytest.raises(InvalidArgumentError, match="example index"):
        uncertainty_report(
            model,
            in_data.subset(range(4)),
            ood_data.subset(range(4)),
            mean=(0.5,),
            std=(0.5,),
            samples=2,
            out_dir=tmp_path,
            ood_name="noise",
            example_indices={"out": [9]},
        )
