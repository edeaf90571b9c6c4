"""ScaleMixturePrior: a stable log density and an unbiased Monte-Carlo KL."""

import math

import pytest
import torch

from bayescnn.priors import GaussianPrior, ScaleMixturePrior


def test_log_prob_is_the_log_of_the_weighted_sum_of_two_normals():
    prior = ScaleMixturePrior(0.25, 1.0, 0.1)
    x = torch.tensor([-1.0, 0.0, 0.05, 2.0], dtype=torch.float64)
    n1 = torch.distributions.Normal(0.0, 1.0).log_prob(x).exp()
    n2 = torch.distributions.Normal(0.0, 0.1).log_prob(x).exp()
    torch.testing.assert_close(prior.log_prob(x), torch.log(0.25 * n1 + 0.75 * n2))


def test_monte_carlo_kl_is_unbiased_against_the_closed_form_when_pi_is_one():
    torch.manual_seed(0)
    mixture = ScaleMixturePrior(1.0, 0.3, 1e-3)
    gaussian = GaussianPrior(0.0, 0.3)
    mu = torch.randn(50, dtype=torch.float64) * 0.2
    sigma = torch.rand(50, dtype=torch.float64) * 0.1 + 0.01
    estimates = torch.stack([mixture.kl(mu, sigma) for _ in range(4000)])
    standard_error = estimates.std() / math.sqrt(len(estimates))
    assert abs(estimates.mean() - gaussian.kl(mu, sigma)) < 5 * standard_error


@pytest.mark.parametrize("sigma2", [1e-30, math.exp(-8)])
@pytest.mark.parametrize("posterior_sigma", [1e-8, 1.0])
def test_kl_is_finite_for_extreme_sigmas(sigma2, posterior_sigma):
    prior = ScaleMixturePrior(0.5, 10.0, sigma2)
    mu = torch.tensor([0.0, 3.0, -50.0])
    kl = prior.kl(mu, torch.full_like(mu, posterior_sigma))
    assert torch.isfinite(kl)


def test_gradients_of_the_monte_carlo_kl_reach_mu_and_sigma():
    prior = ScaleMixturePrior()
    mu = torch.zeros(5, requires_grad=True)
    sigma = torch.full((5,), 0.1, requires_grad=True)
    prior.kl(mu, sigma).backward()
    assert mu.grad is not None and sigma.grad.abs().sum() > 0


@pytest.mark.parametrize("pi", [0.0, -0.1, 1.5])
def test_pi_outside_zero_one_is_a_value_error_naming_pi(pi):
    with pytest.raises(ValueError, match="pi"):
        ScaleMixturePrior(pi, 1.0, 0.1)


@pytest.mark.parametrize("kwargs", [{"sigma1": 0.0}, {"sigma2": -1.0}])
def test_non_positive_component_sigma_is_a_value_error(kwargs):
    with pytest.raises(ValueError, match="sigma"):
        ScaleMixturePrior(0.5, **kwargs)
