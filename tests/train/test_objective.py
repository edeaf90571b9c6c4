"""The ELBO per example, alone or in a loop, and how the original's log-mean-exp differs."""

import math

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.train import ELBO, Progress, expected_nll, predictive_nll


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


def test_the_loss_is_nll_plus_beta_times_kl_per_training_example():
    elbo = ELBO(num_train=1000, beta=0.5)
    out = elbo.terms(torch.zeros(1, 4, 2), torch.zeros(4, dtype=torch.long), torch.tensor(600.0))
    assert out.nll.item() == pytest.approx(math.log(2))
    assert out.loss.item() == pytest.approx(math.log(2) + 0.5 * 600 / 1000)


def test_batch_by_class_logits_are_accepted_as_one_sample():
    labels = torch.tensor([0, 1] * 8)
    logits = torch.randn(16, 2)
    out = ELBO(num_train=10).terms(logits, labels, torch.tensor(0.0))
    torch.testing.assert_close(out.nll, torch.nn.functional.cross_entropy(logits, labels))


def test_logits_and_labels_of_different_batch_sizes_are_a_clear_error():
    with pytest.raises(bayescnn.BayesCNNError, match=r"logits \(16, 2\) and labels \(256,\)"):
        ELBO(num_train=10).terms(
            torch.randn(16, 2), torch.zeros(256, dtype=torch.long), torch.tensor(0.0)
        )


def test_a_missing_num_train_is_explained():
    with pytest.raises(bayescnn.BayesCNNError, match="counted once per pass over the data"):
        ELBO()
    with pytest.raises(ValueError, match="num_train"):
        ELBO(num_train=0)


def test_an_unknown_likelihood_is_an_error_not_a_fallback():
    with pytest.raises(bayescnn.BayesCNNError, match=r"unknown likelihood 'meen'.*'mean'"):
        ELBO(num_train=10, likelihood="meen")


def test_called_on_a_model_it_adds_the_models_kl():
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", in_channels=1, image_size=28, bayesian_layers="all")
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    out = ELBO(num_train=100)(model, x, y)
    torch.testing.assert_close(out.kl, bayescnn.kl_divergence(model))
    torch.testing.assert_close(out.loss, out.nll + out.kl / 100)
    out.loss.backward()
    assert model.fc3.weight_rho.grad is not None and model.conv1.weight_mu.grad is not None


def test_a_plain_network_has_zero_kl_and_trains_on_its_cross_entropy():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.randn(5, 2, 2), torch.tensor([0, 1, 2, 0, 1])
    out = ELBO(num_train=100)(model, x, y)
    assert out.kl.item() == 0
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(model(x), y))


def test_a_network_returning_logits_and_kl_uses_its_own_kl():
    class Original(nn.Module):
        def forward(self, x):
            return x.flatten(1), torch.tensor(50.0)

    out = ELBO(num_train=100)(Original(), torch.zeros(3, 2), torch.tensor([0, 1, 0]))
    assert out.kl.item() == 50.0 and out.loss.item() == pytest.approx(math.log(2) + 0.5)


def test_several_training_samples_are_drawn_in_one_pass():
    model = bayescnn.models.create("lenet", in_channels=1, image_size=28)
    out = ELBO(num_train=100, train_samples=3)(
        model, torch.randn(2, 1, 28, 28), torch.tensor([0, 1])
    )
    assert out.logits.shape == (3, 2, 10)


def test_a_beta_schedule_is_evaluated_at_the_steps_progress():
    elbo = ELBO(num_train=100, beta="soenderby")
    assert elbo.beta(Progress(step=0, steps=10, epoch=0, epochs=8)) == pytest.approx(0.05)
    assert elbo.beta(Progress(step=9, steps=10, epoch=1, epochs=8)) == pytest.approx(1.0)
