"""Tests for bayescnn.metrics.ood_detection on hand-worked examples."""

import numpy as np
import pytest
import torch

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.metrics import ood_detection


def test_perfect_separation_gives_auroc_one_and_fpr_zero() -> None:
    result = ood_detection(torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0]))
    assert result.auroc == 1.0
    assert result.aupr_in == 1.0
    assert result.aupr_out == 1.0
    assert result.fpr_at_95_tpr == 0.0


def test_reversed_separation_gives_auroc_zero_and_fpr_one() -> None:
    result = ood_detection(torch.tensor([4.0, 5.0, 6.0]), torch.tensor([0.0, 1.0, 2.0, 3.0]))
    assert result.auroc == 0.0
    assert result.fpr_at_95_tpr == 1.0


def test_interleaved_scores_match_hand_computation() -> None:
    # in = {1, 3}, out = {2, 4}. Ranked by score: 4 out, 3 in, 2 out, 1 in.
    # AUROC: out>in pairs (2>1, 4>1, 4>3) = 3 of 4 -> 0.75.
    # AUPR-out: recall 1/2 at precision 1 (t=4), recall 1 at precision 2/3 (t=2)
    #   -> 0.5 * 1 + 0.5 * 2/3 = 5/6.
    # AUPR-in (in positive, score negated, ranked -1 in, -2 out, -3 in, -4 out): also 5/6.
    # FPR@95: flagging both OOD needs t = 2, which also flags in-score 3 -> 1/2.
    result = ood_detection([1.0, 3.0], [2.0, 4.0])
    assert result.auroc == pytest.approx(0.75)
    assert result.aupr_out == pytest.approx(5 / 6)
    assert result.aupr_in == pytest.approx(5 / 6)
    assert result.fpr_at_95_tpr == pytest.approx(0.5)


def test_tied_scores_count_half_in_auroc() -> None:
    # in = {1, 2}, out = {2, 3}: pairs 2>1, 2=2 (1/2), 3>1, 3>2 -> 3.5 / 4.
    # FPR@95 at t = 2 flags in-score 2 -> 1/2.
    result = ood_detection(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
    assert result.auroc == pytest.approx(0.875)
    assert result.fpr_at_95_tpr == pytest.approx(0.5)


def test_fpr_uses_first_threshold_reaching_95_percent_tpr() -> None:
    # 20 OOD scores 1..20, in-distribution scores 0.5 and 1.5.
    # TPR >= 0.95 needs 19 of 20 flagged: t = 2 flags no in-score -> FPR 0.
    # (Flagging all 20 would need t = 1, which flags 1.5 -> FPR 1/2.)
    out = torch.arange(1.0, 21.0)
    result = ood_detection(torch.tensor([0.5, 1.5]), out)
    assert result.fpr_at_95_tpr == 0.0


@pytest.mark.parametrize(
    ("scores_in", "scores_out", "message"),
    [
        ([], [1.0], "non-empty"),
        ([1.0], [], "non-empty"),
        ([[1.0, 2.0]], [3.0], "1-D"),
        ([1.0, float("nan")], [2.0], "finite"),
        ([1.0], [float("inf")], "finite"),
    ],
)
def test_ood_detection_rejects_invalid_scores(scores_in, scores_out, message) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        ood_detection(scores_in, scores_out)


@pytest.mark.parametrize(
    ("scores_in", "scores_out", "named"),
    [
        (["a"], [1.0], "scores_in"),
        ([0.5], ["1.5"], "scores_out"),  # numbers written as text are not numbers either
        ([0.5, None], [1.0], "scores_in"),
        (torch.tensor([1 + 1j]), [1.0], "scores_in"),
    ],
)
def test_ood_detection_names_the_argument_that_is_not_numbers(scores_in, scores_out, named):
    with pytest.raises(InvalidTypeError, match=rf"^{named} must be a sequence of numbers"):
        ood_detection(scores_in, scores_out)


def test_ragged_scores_are_a_typed_error_naming_the_argument():
    with pytest.raises(InvalidArgumentError, match=r"^scores_out must be 1-D"):
        ood_detection([1.0], [[1.0, 2.0], [3.0]])
