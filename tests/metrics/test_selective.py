"""Selective prediction: risk–coverage curve, AURC and accuracy at a coverage, by hand."""

import pytest
import torch

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.metrics import accuracy_at_coverage, aurc, risk_coverage_curve


def test_the_curve_keeps_the_lowest_scores_first() -> None:
    # sorted by score: right, right, wrong, right -> risks 0/1, 0/2, 1/3, 1/4
    scores = torch.tensor([0.4, 0.1, 0.3, 0.2])
    correct = torch.tensor([True, True, False, True])
    coverage, risk = risk_coverage_curve(scores, correct)
    assert coverage.tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert risk.tolist() == pytest.approx([0.0, 0.0, 1 / 3, 1 / 4])


def test_aurc_is_the_mean_selective_risk_over_coverages() -> None:
    scores = torch.tensor([0.1, 0.2, 0.3, 0.4])
    correct = torch.tensor([1, 1, 0, 1])
    assert aurc(scores, correct) == pytest.approx((0 + 0 + 1 / 3 + 1 / 4) / 4)  # 7/48


def test_tied_scores_spread_their_errors_evenly_whatever_the_order() -> None:
    # one run of two ties holding one error: E(1) = 1/2, E(2) = 1 -> risks 1/2, 1/2
    for correct in ([1, 0], [0, 1]):
        _, risk = risk_coverage_curve(torch.tensor([0.5, 0.5]), torch.tensor(correct))
        assert risk.tolist() == pytest.approx([0.5, 0.5])


def test_a_constant_score_has_the_error_rate_as_its_aurc() -> None:
    correct = torch.tensor([1, 0, 1, 1, 0, 1, 1, 1])
    assert aurc(torch.zeros(8), correct) == pytest.approx(2 / 8)


def test_a_score_ranking_every_error_last_beats_one_ranking_them_first() -> None:
    correct = torch.tensor([1, 1, 1, 0])
    best = aurc(torch.tensor([0.0, 0.1, 0.2, 0.9]), correct)
    worst = aurc(torch.tensor([0.9, 0.1, 0.2, 0.0]), correct)
    assert best == pytest.approx(1 / 4 / 4)  # only r(4) = 1/4 is non-zero
    assert worst == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    assert best < worst


def test_accuracy_at_coverage_keeps_the_ceiling_of_coverage_times_n() -> None:
    scores = torch.tensor([0.1, 0.2, 0.3, 0.4])
    correct = torch.tensor([1, 1, 0, 1])
    assert accuracy_at_coverage(scores, correct, 0.5) == pytest.approx(1.0)  # k = 2
    assert accuracy_at_coverage(scores, correct, 0.6) == pytest.approx(2 / 3)  # k = 3
    assert accuracy_at_coverage(scores, correct, 1.0) == pytest.approx(3 / 4)


def test_accuracy_at_ninety_percent_of_ten_examples_drops_the_least_sure() -> None:
    scores = torch.arange(10, dtype=torch.float32)
    correct = torch.ones(10, dtype=torch.bool)
    correct[9] = False  # the least sure example is the only error
    assert accuracy_at_coverage(scores, correct, 0.9) == 1.0


@pytest.mark.parametrize("coverage", [0.0, -0.1, 1.5])
def test_a_coverage_outside_zero_one_is_refused(coverage: float) -> None:
    with pytest.raises(InvalidArgumentError, match="coverage"):
        accuracy_at_coverage(torch.zeros(3), torch.ones(3), coverage)


def test_inputs_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="disagree"):
        aurc(torch.zeros(3), torch.ones(4))


def test_non_finite_scores_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="finite"):
        aurc(torch.tensor([0.0, float("nan")]), torch.ones(2))


def test_correct_flags_other_than_zero_or_one_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="0/1"):
        aurc(torch.zeros(2), torch.tensor([0, 2]))


def test_empty_inputs_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        aurc(torch.zeros(0), torch.zeros(0))


def test_non_tensor_inputs_are_refused() -> None:
    with pytest.raises(InvalidTypeError):
        aurc([0.1, 0.2], torch.ones(2))  # type: ignore[arg-type]
