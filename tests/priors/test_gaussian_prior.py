"""GaussianPrior: closed-form KL(q || p), checked against Monte Carlo and by hand."""

import math

import pytest
import torch

from bayescnn.priors import GaussianPrior


def test_kl_of_the_documented_weight_is_4_818_nats_not_the_reversed_18_81():
    prior = GaussianPrior(0.0, 0.1)
    kl = prior.kl(torch.tensor([0.3]), torch.tensor([0.05]))
    assert kl.item() == pytest.approx(math.log(2) + 0.0925 / 0.02 - 0.5, abs=1e-6)
    assert kl.item() == pytest.approx(4.818, abs=1e-3)


def test_closed_form_kl_matches_a_monte_carlo_estimate_within_its_standard_error():
    torch.manual_seed(0)
    prior = GaussianPrior(0.2, 0.3)
    mu = torch.tensor([0.5, -0.1, 0.0], dtype=torch.float64)
    sigma = torch.tensor([0.05, 0.2, 0.6], dtype=torch.float64)
    w = mu + sigma * torch.randn(200_000, 3, dtype=torch.float64)
    log_q = torch.distributions.Normal(mu, sigma).log_prob(w).sum(-1)
    log_p = prior.log_prob(w).sum(-1)
    samples = log_q - log_p
    standard_error = samples.std() / math.sqrt(len(samples))
    assert abs(samples.mean() - prior.kl(mu, sigma)) < 5 * standard_error


def test_kl_is_zero_when_posterior_equals_prior():
    prior = GaussianPrior(0.1, 0.2)
    assert prior.kl(torch.full((10,), 0.1), torch.full((10,), 0.2)).item() == pytest.approx(
        0, abs=1e-6
    )


def test_log_prob_matches_torch_distributions():
    prior = GaussianPrior(0.3, 0.7)
    x = torch.linspace(-3, 3, 11)
    expected = torch.distributions.Normal(0.3, 0.7).log_prob(x)
    torch.testing.assert_close(prior.log_prob(x), expected)


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), float("inf")])
def test_non_positive_or_non_finite_sigma_is_a_value_error_naming_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        GaussianPrior(0.0, sigma)


def test_hyperparameters_are_saved_in_the_state_dict():
    state = GaussianPrior(0.5, 0.25).state_dict()
    restored = GaussianPrior()
    restored.load_state_dict(state)
    assert restored.mu.item() == 0.5 and restored.sigma.item() == 0.25
