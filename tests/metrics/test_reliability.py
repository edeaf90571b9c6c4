"""Tests for bayescnn.metrics.calibration_error (ECE, MCE) on hand-worked examples."""

import math

import pytest
import torch
from torch.testing import assert_close

from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics import calibration_error

# Four predictions, K=4, all labelled 0, two bins (0, 0.5] and (0.5, 1]:
#   conf 0.4 correct, conf 0.4 wrong   -> bin 0: conf 0.4, acc 0.5, gap 0.1
#   conf 0.9 correct, conf 0.7 wrong   -> bin 1: conf 0.8, acc 0.5, gap 0.3
# ECE = 2/4 * 0.1 + 2/4 * 0.3 = 0.2 ; MCE = 0.3
FOUR_PROBS = torch.tensor(
    [
        [0.4, 0.3, 0.2, 0.1],
        [0.3, 0.4, 0.2, 0.1],
        [0.9, 0.05, 0.05, 0.0],
        [0.1, 0.7, 0.1, 0.1],
    ],
    dtype=torch.float64,
)
FOUR_LABELS = torch.tensor([0, 0, 0, 0])


def test_ece_and_mce_match_hand_computation() -> None:
    result = calibration_error(FOUR_PROBS, FOUR_LABELS, n_bins=2)
    assert result.ece == pytest.approx(0.2)
    assert result.mce == pytest.approx(0.3)


def test_reliability_data_match_hand_computation() -> None:
    result = calibration_error(FOUR_PROBS, FOUR_LABELS, n_bins=2)
    assert_close(result.bin_edges, torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    assert_close(result.confidence, torch.tensor([0.4, 0.8], dtype=torch.float64))
    assert_close(result.accuracy, torch.tensor([0.5, 0.5], dtype=torch.float64))
    assert result.count.tolist() == [2, 2]


def test_ece_is_zero_for_perfectly_calibrated_bins() -> None:
    # Four predictions at confidence 0.75 with 3 correct, two at confidence 1 both correct.
    probs = torch.tensor([[0.75, 0.25]] * 4 + [[1.0, 0.0]] * 2)
    labels = torch.tensor([0, 0, 0, 1, 0, 0])
    result = calibration_error(probs, labels, n_bins=10)
    assert result.ece == pytest.approx(0.0, abs=1e-7)
    assert result.mce == pytest.approx(0.0, abs=1e-7)


def test_bin_upper_edge_is_inclusive() -> None:
    # Confidence exactly 0.5 belongs to (0, 0.5], confidence 1 to the last bin.
    probs = torch.tensor([[0.5, 0.5], [1.0, 0.0]])
    result = calibration_error(probs, torch.tensor([0, 0]), n_bins=2)
    assert result.count.tolist() == [1, 1]


def test_the_least_confidence_lands_in_the_first_bin() -> None:
    # A uniform row over four classes has confidence 0.25, which the first bin [0, 0.25] holds.
    result = calibration_error(torch.full((1, 4), 0.25), torch.tensor([0]), n_bins=4)
    assert result.count.tolist() == [1, 0, 0, 0]


def test_empty_bins_are_nan_and_ignored_by_mce() -> None:
    # Single prediction, conf 0.9, wrong: only bin (0.8, 1] is filled, gap 0.9.
    result = calibration_error(torch.tensor([[0.9, 0.1]]), torch.tensor([1]), n_bins=5)
    assert result.count.tolist() == [0, 0, 0, 0, 1]
    assert all(math.isnan(v) for v in result.confidence[:4].tolist())
    assert all(math.isnan(v) for v in result.accuracy[:4].tolist())
    assert result.mce == pytest.approx(0.9)
    assert result.ece == pytest.approx(0.9)


def test_single_bin_ece_is_gap_between_mean_confidence_and_accuracy() -> None:
    # Mean confidence (0.4 + 0.4 + 0.9 + 0.7) / 4 = 0.6, accuracy 0.5 -> 0.1.
    result = calibration_error(FOUR_PROBS, FOUR_LABELS, n_bins=1)
    assert result.ece == pytest.approx(0.1)


def test_default_has_fifteen_bins() -> None:
    result = calibration_error(FOUR_PROBS, FOUR_LABELS)
    assert result.bin_edges.shape == (16,)
    assert result.confidence.shape == result.accuracy.shape == result.count.shape == (15,)
    assert int(result.count.sum()) == 4


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True])
def test_rejects_invalid_n_bins(n_bins) -> None:
    with pytest.raises(InvalidArgumentError, match="n_bins"):
        calibration_error(FOUR_PROBS, FOUR_LABELS, n_bins=n_bins)


def test_rejects_labels_out_of_range() -> None:
    with pytest.raises(InvalidArgumentError, match="labels must lie"):
        calibration_error(FOUR_PROBS, torch.tensor([0, 0, 0, 4]))


def test_rows_that_do_not_sum_to_one_are_refused() -> None:
    # Confidences inflated by rows summing to 2 would fill the top bins with false certainty.
    with pytest.raises(InvalidArgumentError, match=r"4 of 4 rows are not .* summing to 1"):
        calibration_error(2 * FOUR_PROBS, FOUR_LABELS)


def test_an_all_zero_row_is_refused_rather_than_binned_at_confidence_zero() -> None:
    with pytest.raises(InvalidArgumentError, match=r"row 0 sums to 0"):
        calibration_error(torch.tensor([[0.0, 0.0]]), torch.tensor([0]), n_bins=4)
