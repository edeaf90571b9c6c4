"""The prior registry: priors by name, with the hyperparameters they take and no others."""

import pytest

from bayescnn.errors import InvalidArgumentError
from bayescnn.priors import GaussianPrior, ScaleMixturePrior, create_prior, default_prior


def test_create_prior_builds_the_named_prior_with_its_hyperparameters():
    prior = create_prior("mixture", pi=0.25, sigma1=1.0, sigma2=0.01)
    assert isinstance(prior, ScaleMixturePrior) and float(prior.pi) == 0.25


def test_a_hyperparameter_the_prior_does_not_take_is_an_error_naming_those_it_does():
    with pytest.raises(
        InvalidArgumentError, match=r"prior 'gaussian' does not take pi .*mu, sigma"
    ):
        create_prior("gaussian", mu=0.0, sigma=1.0, pi=0.5)


def test_the_default_prior_is_a_new_standard_normal_each_time():
    first, second = default_prior(), default_prior()
    assert isinstance(first, GaussianPrior) and first is not second
    assert (float(first.mu), float(first.sigma)) == (0.0, 1.0)
