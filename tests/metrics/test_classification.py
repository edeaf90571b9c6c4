"""Tests for bayescnn.metrics.classification on hand-worked examples."""

import math

import pytest
import torch

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.metrics.classification import accuracy, brier_score, nll


def test_accuracy_counts_argmax_matches() -> None:
    # argmax per row: 0, 1, 0 against labels 0, 0, 0 -> 2 of 3 correct.
    probs = torch.tensor([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    assert accuracy(probs, torch.tensor([0, 0, 0])) == pytest.approx(2 / 3)


def test_accuracy_returns_float() -> None:
    assert isinstance(accuracy(torch.tensor([[0.2, 0.8]]), torch.tensor([1])), float)


def test_nll_is_mean_negative_log_label_probability() -> None:
    # Label probabilities 0.5 and 0.25: (ln 2 + ln 4) / 2 = 1.5 ln 2.
    probs = torch.tensor([[0.5, 0.5], [0.75, 0.25]])
    assert nll(probs, torch.tensor([1, 1])) == pytest.approx(1.5 * math.log(2.0))


def test_nll_is_zero_for_certain_correct_predictions() -> None:
    assert nll(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([1, 0])) == 0.0


def test_nll_clamps_zero_probability_to_finite_value() -> None:
    # p = 0 is clamped to eps = 1e-12: -ln(1e-12) = 12 ln 10.
    loss = nll(torch.tensor([[1.0, 0.0]]), torch.tensor([1]))
    assert loss == pytest.approx(12.0 * math.log(10.0))


def test_nll_rejects_non_positive_eps() -> None:
    with pytest.raises(InvalidArgumentError, match="eps"):
        nll(torch.tensor([[1.0, 0.0]]), torch.tensor([0]), eps=0.0)


def test_brier_score_matches_hand_computation() -> None:
    # (0.8 - 1)² + (0.2 - 0)² = 0.08 ; (0.5 - 0)² + (0.5 - 1)² = 0.5 ; mean 0.29.
    probs = torch.tensor([[0.8, 0.2], [0.5, 0.5]])
    assert brier_score(probs, torch.tensor([0, 1])) == pytest.approx(0.29)


def test_brier_score_is_zero_when_perfect_and_two_when_confidently_wrong() -> None:
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert brier_score(probs, torch.tensor([0, 1])) == 0.0
    assert brier_score(probs, torch.tensor([2, 0])) == pytest.approx(2.0)


@pytest.mark.parametrize("metric", [accuracy, nll, brier_score])
def test_rejects_label_count_mismatch(metric) -> None:
    with pytest.raises(InvalidArgumentError, match="disagree on N"):
        metric(torch.full((3, 2), 0.5), torch.tensor([0, 1]))


@pytest.mark.parametrize("metric", [accuracy, nll, brier_score])
def test_rejects_empty_input(metric) -> None:
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        metric(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))


@pytest.mark.parametrize("metric", [accuracy, nll, brier_score])
@pytest.mark.parametrize("bad_label", [-1, 2])
def test_rejects_labels_out_of_range(metric, bad_label) -> None:
    with pytest.raises(InvalidArgumentError, match=r"labels must lie in \[0, 2\)"):
        metric(torch.full((2, 2), 0.5), torch.tensor([0, bad_label]))


@pytest.mark.parametrize(
    ("probs", "labels"),
    [
        (torch.full((2,), 0.5), torch.tensor([0, 1])),
        (torch.full((2, 2), 0.5), torch.tensor([[0], [1]])),
    ],
)
def test_rejects_wrong_dimensions(probs, labels) -> None:
    with pytest.raises(InvalidArgumentError, match="must have shape"):
        accuracy(probs, labels)


def test_rejects_probabilities_outside_unit_interval() -> None:
    with pytest.raises(InvalidArgumentError, match=r"\[0, 1\]"):
        brier_score(torch.tensor([[1.5, -0.5]]), torch.tensor([0]))


def test_rejects_float_labels() -> None:
    with pytest.raises(InvalidTypeError, match="integer"):
        accuracy(torch.full((2, 2), 0.5), torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("metric", [accuracy, nll, brier_score])
def test_rows_that_do_not_sum_to_one_are_refused_naming_them(metric) -> None:
    probs = torch.tensor([[0.5, 0.5], [0.6, 0.6], [0.2, 0.2], [0.3, 0.7]])
    with pytest.raises(InvalidArgumentError, match=r"2 of 4 rows are not \(rows 1, 2\): 2 not "
                       r"summing to 1 \(row 1 sums to 1\.2\)"):  # fmt: skip
        metric(probs, torch.tensor([0, 1, 0, 1]))


@pytest.mark.parametrize("metric", [accuracy, nll, brier_score])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_probabilities_are_refused(metric, bad) -> None:
    probs = torch.tensor([[0.5, 0.5], [bad, 0.5]])
    with pytest.raises(InvalidArgumentError, match=r"1 of 2 rows is not \(row 1\): 1 not finite"):
        metric(probs, torch.tensor([0, 1]))
