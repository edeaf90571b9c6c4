"""Tests for bayescnn.uncertainty's OOD scores and their registry."""

import math

import pytest
import torch
from torch.testing import assert_close

from bayescnn.errors import InvalidArgumentError, InvalidTypeError, UnknownNameError
from bayescnn.metrics import ood_detection
from bayescnn.uncertainty import (
    MonteCarloSamples,
    list_ood_scores,
    ood_scores,
    register_ood_score,
)

PROBABILITY_SCORES = ["max_prob", "entropy", "mutual_info", "aleatoric_trace", "epistemic_trace"]
LOGIT_SCORES = ["energy", "max_logit"]

# Two examples, S=2, K=2.
# Example 0: samples (1, 0) and (0, 1), p̄ = (0.5, 0.5): max_prob 0.5, entropy ln 2,
#   MI ln 2; aleatoric trace 1 - mean(1, 1) = 0; epistemic trace mean(0.5, 0.5) = 0.5.
# Example 1: samples (0.8, 0.2) and (0.4, 0.6), p̄ = (0.6, 0.4): max_prob 0.4,
#   aleatoric trace 0.4, epistemic trace 0.08 (worked in test_decomposition.py).
SAMPLES = torch.tensor(
    [[[1.0, 0.0], [0.8, 0.2]], [[0.0, 1.0], [0.4, 0.6]]],
    dtype=torch.float64,
)

# S=2, N=1, K=2: logits (1, 3) and (3, 1), mean logits f̄ = (2, 2).
# energy = -log(e² + e²) = -(2 + ln 2); max_logit = -2.
LOGITS = torch.tensor([[[1.0, 3.0]], [[3.0, 1.0]]], dtype=torch.float64)


def test_built_in_scores_are_listed_in_registration_order():
    assert list_ood_scores() == PROBABILITY_SCORES + LOGIT_SCORES


def test_list_ood_scores_filters_by_what_a_score_needs():
    assert list_ood_scores("probs") == PROBABILITY_SCORES
    assert list_ood_scores("logits") == LOGIT_SCORES


def test_scores_from_probabilities_leave_out_the_scores_that_need_logits():
    assert list(ood_scores(SAMPLES)) == PROBABILITY_SCORES


def test_scores_from_logits_include_every_score():
    assert list(ood_scores(logits=LOGITS)) == PROBABILITY_SCORES + LOGIT_SCORES


def test_every_score_has_one_value_per_example():
    scores = ood_scores(logits=torch.randn(3, 7, 4))
    assert all(value.shape == (7,) for value in scores.values())


def test_probability_scores_match_hand_computation():
    scores = ood_scores(SAMPLES)
    h_bar_1 = -(0.6 * math.log(0.6) + 0.4 * math.log(0.4))
    assert_close(scores["max_prob"], torch.tensor([0.5, 0.4], dtype=torch.float64))
    assert_close(scores["entropy"], torch.tensor([math.log(2.0), h_bar_1], dtype=torch.float64))
    assert_close(scores["mutual_info"][:1], torch.tensor([math.log(2.0)], dtype=torch.float64))
    assert_close(scores["aleatoric_trace"], torch.tensor([0.0, 0.4], dtype=torch.float64))
    assert_close(scores["epistemic_trace"], torch.tensor([0.5, 0.08], dtype=torch.float64))


def test_energy_is_minus_the_log_sum_exp_of_the_mean_logits():
    expected = torch.tensor([-(2.0 + math.log(2.0))], dtype=torch.float64)
    assert_close(ood_scores(logits=LOGITS)["energy"], expected)


def test_max_logit_is_minus_the_largest_mean_logit():
    assert_close(ood_scores(logits=LOGITS)["max_logit"], torch.tensor([-2.0], dtype=torch.float64))


def test_logit_scores_rise_as_every_logit_falls_though_the_softmax_is_unchanged():
    # The offset softmax forgets: smaller logits (less evidence for any class) = more OOD.
    high, low = ood_scores(logits=LOGITS), ood_scores(logits=LOGITS - 5.0)
    for name in LOGIT_SCORES:
        assert_close(low[name], high[name] + 5.0)
    for name in PROBABILITY_SCORES:
        assert_close(low[name], high[name])


def test_scores_from_logits_equal_scores_from_their_softmax_probabilities():
    # softmax(ln p) = p, so log-probabilities are valid logits for the same samples.
    probs = torch.tensor([[[0.5, 0.25, 0.25]], [[0.125, 0.75, 0.125]]], dtype=torch.float64)
    from_logits = ood_scores(logits=probs.log())
    for name, value in ood_scores(probs).items():
        assert_close(from_logits[name], value)


def test_disagreeing_samples_score_higher_than_confident_agreement():
    # Example 0: both samples (0.99, 0.01); example 1: samples (1, 0) and (0, 1).
    samples = torch.tensor([[[0.99, 0.01], [1.0, 0.0]], [[0.99, 0.01], [0.0, 1.0]]])
    scores = ood_scores(samples)
    for name in ("max_prob", "entropy", "mutual_info", "epistemic_trace"):
        assert scores[name][1] > scores[name][0], name


def test_mutual_information_perfectly_detects_disagreeing_samples():
    in_dist = torch.tensor([[[0.9, 0.1]] * 3] * 2)  # (S=2, N=3, K=2), samples agree
    out_dist = torch.tensor([[[1.0, 0.0]] * 3, [[0.0, 1.0]] * 3])  # samples disagree
    result = ood_detection(ood_scores(in_dist)["mutual_info"], ood_scores(out_dist)["mutual_info"])
    assert result.auroc == 1.0
    assert result.fpr_at_95_tpr == 0.0


@pytest.mark.parametrize("kwargs", [{}, {"probs": SAMPLES, "logits": SAMPLES}])
def test_ood_scores_needs_exactly_one_input(kwargs):
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        ood_scores(**kwargs)


@pytest.mark.parametrize("name", ["probs", "logits"])
def test_ood_scores_rejects_samples_that_are_not_three_dimensional(name):
    with pytest.raises(InvalidArgumentError, match=r"\(S, N, K\)"):
        ood_scores(**{name: torch.zeros(2, 3)})


def test_ood_scores_rejects_integer_logits():
    with pytest.raises(InvalidTypeError, match="floating-point"):
        ood_scores(logits=torch.zeros(2, 3, 4, dtype=torch.int64))


def test_asking_for_a_logit_score_from_probabilities_is_an_error():
    with pytest.raises(InvalidArgumentError, match="'energy' needs logits"):
        MonteCarloSamples(probs=SAMPLES).ood_scores(["energy"])


def test_an_unknown_score_name_is_an_error_listing_the_choices():
    with pytest.raises(UnknownNameError, match=r"did you mean 'entropy'.*max_logit"):
        MonteCarloSamples(probs=SAMPLES).ood_scores(["entropie"])


def test_monte_carlo_samples_give_the_named_scores_in_the_order_asked():
    scores = MonteCarloSamples(logits=LOGITS).ood_scores(["max_logit", "entropy"])
    assert list(scores) == ["max_logit", "entropy"]


def test_a_registered_probability_score_is_computed_with_the_built_ins(restore_ood_scores):
    @register_ood_score("margin")
    def margin(probs):
        top2 = probs.mean(dim=0).topk(2, dim=-1).values
        return top2[:, 1] - top2[:, 0]

    scores = ood_scores(SAMPLES)
    assert list(scores) == [*PROBABILITY_SCORES, "margin"]
    assert_close(scores["margin"], torch.tensor([0.0, -0.2], dtype=torch.float64))


def test_a_registered_logit_score_receives_the_logit_samples(restore_ood_scores):
    received = []

    @register_ood_score("mean_logit", needs="logits")
    def mean_logit(logits):
        received.append(logits)
        return -logits.mean(dim=(0, 2))

    scores = ood_scores(logits=LOGITS)
    assert received[0] is LOGITS
    assert_close(scores["mean_logit"], torch.tensor([-2.0], dtype=torch.float64))


def test_a_registered_logit_score_is_skipped_for_probabilities(restore_ood_scores):
    register_ood_score("mean_logit", needs="logits")(lambda logits: -logits.mean(dim=(0, 2)))
    assert "mean_logit" not in ood_scores(SAMPLES)
    assert "mean_logit" in list_ood_scores("logits")


def test_register_ood_score_returns_the_function_unchanged(restore_ood_scores):
    def margin(probs):
        return probs.mean(dim=0).max(dim=-1).values

    assert register_ood_score("margin")(margin) is margin


def test_registering_a_taken_name_is_an_error(restore_ood_scores):
    with pytest.raises(InvalidArgumentError, match="already registered"):
        register_ood_score("entropy")(lambda probs: probs.mean(dim=(0, 2)))


def test_replace_true_replaces_a_registered_score(restore_ood_scores):
    register_ood_score("entropy", replace=True)(lambda probs: probs.new_zeros(probs.shape[1]))
    assert torch.equal(ood_scores(SAMPLES)["entropy"], torch.zeros(2, dtype=torch.float64))


@pytest.mark.parametrize("name", ["all", "None", ""])
def test_reserved_or_empty_names_cannot_name_a_score(name, restore_ood_scores):
    with pytest.raises(InvalidArgumentError, match="name"):
        register_ood_score(name)


def test_needs_must_be_probs_or_logits():
    with pytest.raises(InvalidArgumentError, match="'probs' or 'logits'"):
        register_ood_score("margin", needs="features")


def test_a_score_of_the_wrong_shape_is_an_error_naming_it(restore_ood_scores):
    register_ood_score("per_class")(lambda probs: probs.mean(dim=0))  # (N, K), not (N,)
    with pytest.raises(InvalidArgumentError, match=r"'per_class' must return shape \(2,\)"):
        ood_scores(SAMPLES)


def test_monte_carlo_samples_refuse_probabilities_that_do_not_sum_to_one():
    probs = torch.full((3, 4, 5), 0.25)
    with pytest.raises(InvalidArgumentError, match=r"12 of 12 rows are not"):
        MonteCarloSamples(probs=probs)
