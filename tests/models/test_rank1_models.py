"""The zoo's models with a rank-1 mixture posterior: models.create(posterior_family='rank1')."""

import pytest
import torch

import bayescnn
from bayescnn import models
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError, UnknownNameError
from bayescnn.priors import GaussianPrior


def _rank1_layers(model):
    return [m for m in model.modules() if isinstance(m, bnn.Rank1Layer)]


@pytest.mark.parametrize("name", ["lenet", "alexnet", "3conv3fc"])
def test_a_rank1_zoo_model_returns_members_by_batch_by_classes(name):
    model = models.create(name, in_channels=3, num_classes=7, posterior_family="rank1", members=2)
    assert isinstance(model, bnn.Rank1Network) and model.members == 2
    assert model(torch.randn(5, 3, 32, 32)).shape == (2, 5, 7)
    assert not bnn.bayesian_layers(model)  # every weight layer is rank-1


def test_a_rank1_model_has_four_members_unless_told():
    model = models.create("lenet", posterior_family="rank1")
    assert model.members == 4 and {m.members for m in _rank1_layers(model)} == {4}


def test_a_rank1_model_takes_the_factors_prior_and_inits():
    model = models.create(
        "lenet",
        posterior_family="rank1",
        prior=GaussianPrior(1.0, 0.5),
        posterior_mu_init=(2.0, 0.0),
        posterior_rho_init=(-3.0, 0.0),
    )
    layer = _rank1_layers(model)[0]
    assert layer.prior.sigma.item() == pytest.approx(0.5)
    assert torch.all(layer.r_mu == 2.0) and torch.all(layer.s_rho == -3.0)


def test_a_rank1_model_s_kl_is_in_kl_divergence():
    model = models.create("lenet", posterior_family="rank1", members=2)
    expected = torch.stack([m.kl() for m in _rank1_layers(model)]).sum()
    torch.testing.assert_close(bayescnn.kl_divergence(model), expected)


@pytest.mark.parametrize(
    "option",
    [
        {"estimator": "lrt"},
        {"bayesian": False},
        {"posterior": bayescnn.PosteriorSpec()},
        {"bayesian_layers": "fc*"},
        {"rho_scale": 3.0},
    ],
    ids=lambda option: next(iter(option)),
)
def test_rank1_refuses_the_mean_field_options_naming_them(option):
    with pytest.raises(InvalidArgumentError, match=next(iter(option))):
        models.create("lenet", posterior_family="rank1", **option)


def test_rank1_refuses_a_model_not_built_from_layers():
    with pytest.raises(InvalidArgumentError, match="cannot be rank-1"):
        models.create("resnet18", posterior_family="rank1")


def test_an_unknown_posterior_family_lists_the_families():
    with pytest.raises(UnknownNameError, match="'mean-field', 'rank1'"):
        models.create("lenet", posterior_family="low-rank")
