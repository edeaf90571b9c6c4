"""Tests for bayescnn.metrics.ood on hand-worked examples."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from bayescnn.metrics.ood import ood_detection, ood_scores


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
    with pytest.raises(ValueError, match=message):
        ood_detection(scores_in, scores_out)


# Two examples, S=2, K=2.
# Example 0: samples (1, 0) and (0, 1), p̄ = (0.5, 0.5): max_prob 0.5, entropy ln 2,
#   MI ln 2; aleatoric trace 1 - mean(1, 1) = 0; epistemic trace mean(0.5, 0.5) = 0.5.
# Example 1: samples (0.8, 0.2) and (0.4, 0.6), p̄ = (0.6, 0.4): max_prob 0.4,
#   aleatoric trace 0.4, epistemic trace 0.08 (worked in tests/uncertainty).
SAMPLES = torch.tensor(
    [[[1.0, 0.0], [0.8, 0.2]], [[0.0, 1.0], [0.4, 0.6]]],
    dtype=torch.float64,
)


def test_ood_scores_have_standard_names_and_shapes() -> None:
    scores = ood_scores(SAMPLES)
    assert set(scores) == {
        "max_prob",
        "entropy",
        "mutual_info",
        "aleatoric_trace",
        "epistemic_trace",
    }
    assert all(value.shape == (2,) for value in scores.values())


def test_ood_scores_match_hand_computation() -> None:
    scores = ood_scores(SAMPLES)
    h_bar_1 = -(0.6 * math.log(0.6) + 0.4 * math.log(0.4))
    assert_close(scores["max_prob"], torch.tensor([0.5, 0.4], dtype=torch.float64))
    assert_close(scores["entropy"], torch.tensor([math.log(2.0), h_bar_1], dtype=torch.float64))
    assert_close(scores["mutual_info"][:1], torch.tensor([math.log(2.0)], dtype=torch.float64))
    assert_close(scores["aleatoric_trace"], torch.tensor([0.0, 0.4], dtype=torch.float64))
    assert_close(scores["epistemic_trace"], torch.tensor([0.5, 0.08], dtype=torch.float64))


def test_ood_scores_from_logits_equal_scores_from_softmax_probs() -> None:
    # softmax(ln p) = p, so log-probabilities are valid logits for the same samples.
    probs = torch.tensor([[[0.5, 0.25, 0.25]], [[0.125, 0.75, 0.125]]], dtype=torch.float64)
    from_probs = ood_scores(probs)
    from_logits = ood_scores(logits=probs.log())
    for name, value in from_probs.items():
        assert_close(from_logits[name], value)


def test_disagreeing_samples_score_higher_than_confident_agreement() -> None:
    # Example 0: both samples (0.99, 0.01); example 1: samples (1, 0) and (0, 1).
    samples = torch.tensor([[[0.99, 0.01], [1.0, 0.0]], [[0.99, 0.01], [0.0, 1.0]]])
    scores = ood_scores(samples)
    for name in ("max_prob", "entropy", "mutual_info", "epistemic_trace"):
        assert scores[name][1] > scores[name][0], name


def test_ood_scores_perfectly_detect_disagreement_in_end_to_end_check() -> None:
    in_dist = torch.tensor([[[0.9, 0.1]] * 3] * 2)  # (S=2, N=3, K=2), samples agree
    out_dist = torch.tensor([[[1.0, 0.0]] * 3, [[0.0, 1.0]] * 3])  # samples disagree
    result = ood_detection(ood_scores(in_dist)["mutual_info"], ood_scores(out_dist)["mutual_info"])
    assert result.auroc == 1.0
    assert result.fpr_at_95_tpr == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"probs": SAMPLES, "logits": SAMPLES}],
)
def test_ood_scores_needs_exactly_one_input(kwargs) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ood_scores(**kwargs)


@pytest.mark.parametrize("name", ["probs", "logits"])
def test_ood_scores_rejects_non_3d_samples(name) -> None:
    with pytest.raises(ValueError, match=r"\(S, N, K\)"):
        ood_scores(**{name: torch.zeros(2, 3)})
