"""The ELBO per example, and how the original's log-mean-exp objective differs."""

import math

import pytest
import torch

from bayescnn.train import elbo_loss, expected_nll, predictive_nll


def test_with_one_sample_both_likelihood_terms_are_the_cross_entropy():
    logits = torch.randn(1, 5, 3)
    labels = torch.tensor([0, 1, 2, 1, 0])
    expected = torch.nn.functional.cross_entropy(logits[0], labels)
    torch.testing.assert_close(expected_nll(logits, labels), expected)
    torch.testing.assert_close(predictive_nll(logits, labels), expected)


def test_hand_computed_two_sample_case_shows_log_mean_exp_is_smaller_by_jensen():
    # one example, two samples giving p(y) = 0.5 and 0.25
    logits = torch.log(torch.tensor([[[0.5, 0.5]], [[0.25, 0.75]]]))
    labels = torch.tensor([0])
    assert expected_nll(logits, labels).item() == pytest.approx(
        -(math.log(0.5) + math.log(0.25)) / 2
    )
    assert predictive_nll(logits, labels).item() == pytest.approx(-math.log(0.375))
    assert predictive_nll(logits, labels) < expected_nll(logits, labels)


def test_elbo_loss_adds_beta_times_kl_per_training_example():
    logits = torch.zeros(1, 4, 2)
    labels = torch.zeros(4, dtype=torch.long)
    loss, nll = elbo_loss(logits, labels, torch.tensor(600.0), beta=0.5, num_train=1000)
    assert nll.item() == pytest.approx(math.log(2))
    assert loss.item() == pytest.approx(math.log(2) + 0.5 * 600 / 1000)
