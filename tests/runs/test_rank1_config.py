"""A run config with a rank-1 posterior: its keys, their checks, and the model it builds."""

import pytest
import torch

from bayescnn import nn as bnn
from bayescnn.data import get_spec
from bayescnn.errors import ConfigError
from bayescnn.runs import TrainConfig, build_model


def _rank1_layer(model):
    return next(m for m in model.modules() if isinstance(m, bnn.Rank1Layer))


def test_a_rank1_config_builds_a_rank1_network_of_its_members():
    model = build_model(TrainConfig(posterior_family="rank1", members=2), get_spec("mnist"))
    assert isinstance(model, bnn.Rank1Network) and model.members == 2
    assert model(torch.randn(3, 1, 32, 32)).shape == (2, 3, 10)


def test_a_rank1_config_keeps_the_rank1_prior_unless_the_prior_keys_change():
    spec = get_spec("mnist")
    default = _rank1_layer(build_model(TrainConfig(posterior_family="rank1"), spec)).prior
    assert (default.mu.item(), default.sigma.item()) == pytest.approx((1.0, 0.1))
    config = TrainConfig(posterior_family="rank1", prior_mu=1.0, prior_sigma=0.3)
    changed = _rank1_layer(build_model(config, spec)).prior
    assert (changed.mu.item(), changed.sigma.item()) == pytest.approx((1.0, 0.3))


def test_the_rank1_keys_survive_a_round_trip_through_the_saved_config():
    config = TrainConfig(posterior_family="rank1", members=3)
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "values",
    [
        {"posterior_family": "rank1", "estimator": "lrt"},
        {"posterior_family": "rank1", "bayesian": False},
        {"posterior_family": "rank1", "bayesian_layers": "fc*"},
        {"posterior_family": "rank1", "members": 0},
        {"posterior_family": "rank1", "member_width": 0.5},
        {"posterior_family": "low-rank"},
        {"posterior_family": "rank1", "rho_scale": 3.0},
    ],
    ids=[
        "estimator",
        "bayesian",
        "bayesian_layers",
        "members",
        "member_width",
        "posterior_family",
        "rho_scale",
    ],
)
def test_a_rank1_config_refuses_what_does_not_apply_naming_the_key(values, request):
    key = request.node.callspec.id
    with pytest.raises(ConfigError) as error:
        TrainConfig(**values)
    assert error.value.key == key
