"""evaluate_shift: one record per corruption and severity, reproducible, written as rows."""

import csv
import json

import pytest
import torch

from bayescnn import models
from bayescnn.data import ImageData
from bayescnn.errors import InvalidArgumentError, UnknownNameError
from bayescnn.shift import (
    AUROC_SCORES,
    CLEAN,
    COVERAGE_GRID,
    SELECTIVE_SCORES,
    evaluate_shift,
    write_shift_records,
)

OPTIONS = {"mean": (0.5,), "std": (0.5,), "samples": 3, "seed": 0, "batch_size": 16}


def _data(count: int = 40) -> ImageData:
    generator = torch.Generator().manual_seed(0)
    return ImageData(
        images=torch.randint(0, 256, (count, 1, 16, 16), dtype=torch.uint8, generator=generator),
        labels=torch.randint(0, 10, (count,), generator=generator),
        classes=tuple(str(k) for k in range(10)),
    )


def _model(bayesian: bool = True) -> torch.nn.Module:
    torch.manual_seed(0)
    return models.create("lenet", bayesian=bayesian, in_channels=1, image_size=16, num_classes=10)


@pytest.fixture(scope="module")
def records():
    return evaluate_shift(
        _model(), _data(), corruptions=["gaussian_noise", "rotate"], severities=[1, 5], **OPTIONS
    )


def test_the_clean_row_comes_first_then_each_corruption_at_each_severity(records) -> None:
    assert [(r.corruption, r.severity) for r in records] == [
        (CLEAN, 0),
        ("gaussian_noise", 1),
        ("gaussian_noise", 5),
        ("rotate", 1),
        ("rotate", 5),
    ]
    assert all(r.num_examples == 40 for r in records)


def test_each_record_holds_metrics_in_their_ranges(records) -> None:
    for record in records:
        assert 0 <= record.accuracy <= 1 and record.nll > 0 and 0 <= record.ece <= 1
        assert record.aleatoric >= 0 and record.epistemic >= 0
        assert 0 < record.mean_confidence <= 1


def test_the_clean_row_has_no_auroc_and_the_others_one_per_score(records) -> None:
    assert records[0].auroc == dict.fromkeys(AUROC_SCORES)
    for record in records[1:]:
        assert set(record.auroc) == set(AUROC_SCORES)
        assert all(0 <= value <= 1 for value in record.auroc.values())


def test_each_record_summarises_selective_prediction_per_score(records) -> None:
    for record in records:
        assert set(record.selective) == set(SELECTIVE_SCORES)
        for summary in record.selective.values():
            assert set(summary) == {"aurc", "accuracy_at_90", "accuracy_at_95"}
            assert 0 <= summary["aurc"] <= 1
        curve = record.risk_coverage["entropy"]
        assert curve.shape == COVERAGE_GRID.shape
        assert curve[-1].item() == pytest.approx(1 - record.accuracy, abs=1e-6)


def test_to_dict_is_one_flat_row(records) -> None:
    row = records[1].to_dict()
    assert row["corruption"] == "gaussian_noise" and row["severity"] == 1
    assert {"accuracy", "nll", "ece", "aleatoric", "epistemic"} <= set(row)
    assert {"auroc_mutual_info", "auroc_entropy", "aurc_max_prob", "accuracy_at_95_entropy"} <= set(
        row
    )
    assert all(not isinstance(value, dict | torch.Tensor) for value in row.values())


def test_the_same_call_gives_the_same_records(records) -> None:
    again = evaluate_shift(
        _model(), _data(), corruptions=["gaussian_noise", "rotate"], severities=[1, 5], **OPTIONS
    )
    assert [r.to_dict() for r in again] == [r.to_dict() for r in records]


def test_another_corruption_leaves_the_records_of_the_others_as_they_were(records) -> None:
    alone = evaluate_shift(_model(), _data(), corruptions=["rotate"], severities=[1, 5], **OPTIONS)
    assert [r.to_dict() for r in alone[1:]] == [r.to_dict() for r in records[3:]]


def test_the_callers_random_state_is_untouched() -> None:
    state = torch.get_rng_state()
    evaluate_shift(_model(), _data(8), corruptions=["shot_noise"], severities=[2], **OPTIONS)
    assert torch.equal(torch.get_rng_state(), state)


def test_a_plain_networks_mutual_information_cannot_tell_clean_from_corrupted() -> None:
    shifted = evaluate_shift(
        _model(bayesian=False), _data(), corruptions=["contrast"], severities=[5], **OPTIONS
    )
    assert shifted[1].auroc["mutual_info"] == 0.5 and shifted[1].epistemic == 0


def test_an_unknown_corruption_is_refused_before_any_work() -> None:
    with pytest.raises(UnknownNameError, match="unknown corruption 'fog'"):
        evaluate_shift(_model(), _data(), corruptions=["fog"], **OPTIONS)


@pytest.mark.parametrize("severities", [[0], [6], []])
def test_severities_must_lie_in_one_to_five(severities) -> None:
    with pytest.raises(InvalidArgumentError, match="severit"):
        evaluate_shift(_model(), _data(), corruptions=["rotate"], severities=severities, **OPTIONS)


def test_write_shift_records_writes_a_json_list_and_a_csv_row_each(records, tmp_path) -> None:
    rows = [{"model": "bayesian", **record.to_dict()} for record in records]
    json_path, csv_path = write_shift_records(rows, tmp_path / "s.json", tmp_path / "s.csv")
    assert json.loads(json_path.read_text()) == rows
    with csv_path.open() as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows) and list(table[0])[:3] == ["model", "corruption", "severity"]
    assert table[0]["auroc_entropy"] == "" and float(table[1]["auroc_entropy"]) >= 0
