"""One default network through every door: models.create, bayescnn train and to_bayesian
build the same Bayesian layers at the same rho scale, and say so."""

import pytest
import torchvision
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn.data import DATASETS
from bayescnn.nn import BayesianLayer
from bayescnn.runs import TrainConfig
from bayescnn.runs.builder import build_model


def _policy(model: nn.Module) -> list[tuple[str, str, float]]:
    """(layer name, estimator, rho scale) of every Bayesian layer."""
    return [
        (name, module.estimator.value, module.posterior_rho_scale)
        for name, module in model.named_modules()
        if isinstance(module, BayesianLayer)
    ]


@pytest.mark.parametrize("architecture", ["lenet", "alexnet", "3conv3fc", "resnet18"])
def test_create_train_and_to_bayesian_build_the_same_network(architecture):
    shape = {"num_classes": 10, "in_channels": 1, "image_size": 32}
    created = bayescnn.models.create(architecture, **shape)
    converted = bayescnn.to_bayesian(bayescnn.models.create(architecture, bayesian=False, **shape))
    config = TrainConfig.from_dict({"model": architecture, "dataset": "mnist", "image_size": 32})
    trained = build_model(config, DATASETS.get("mnist"))
    expected = [
        (name, defaults.ESTIMATOR, defaults.MODEL_RHO_SCALE)
        for name, module in created.named_modules()
        if isinstance(module, nn.Linear | bayescnn.nn.Linear)
    ]
    assert expected, "every zoo network has a fully connected head"
    assert _policy(created) == _policy(converted) == _policy(trained) == expected
    assert bayescnn.describe(created) == bayescnn.describe(converted)
    assert bayescnn.describe(trained) == bayescnn.describe(created)


def test_the_policy_is_the_fully_connected_layers_at_the_model_rho_scale():
    assert defaults.BAYESIAN_LAYERS == "linear"
    described = bayescnn.describe(bayescnn.models.create("lenet"))
    assert described == (
        f"Bayesian: fc1, fc2, fc3 ({defaults.ESTIMATOR}, rho scale "
        f"{defaults.MODEL_RHO_SCALE:g}); plain: conv1, conv2"
    )


def test_every_layer_is_one_word_away_through_every_door():
    created = bayescnn.models.create("lenet", bayesian_layers="all")
    converted = bayescnn.to_bayesian(
        bayescnn.models.create("lenet", bayesian=False), bayesian_layers="all"
    )
    config = TrainConfig.from_dict({"model": "lenet", "dataset": "mnist", "bayesian_layers": "all"})
    trained = build_model(config, DATASETS.get("mnist"))
    names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert [n for n, *_ in _policy(created)] == names
    assert _policy(created) == _policy(converted) == _policy(trained)


def test_a_network_without_a_fully_connected_layer_is_bayesian_in_every_layer():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 4, 1), nn.AdaptiveAvgPool2d(1))
    assert [n for n, *_ in _policy(bayescnn.to_bayesian(net))] == ["0", "2"]


def test_describe_names_a_plain_network_and_packed_members():
    assert bayescnn.describe(bayescnn.models.create("lenet", bayesian=False)).startswith(
        "plain network"
    )
    members = bayescnn.describe(bayescnn.models.create("lenet", members=4))
    assert members.endswith("every weight layer; 4 members in one network")
    assert f"rho scale {defaults.MEMBERS_RHO_SCALE:g}" in members


def test_packed_members_sample_weights_through_both_doors_and_keep_what_is_asked():
    """Members default to weight sampling (one convolution a layer), one network to Flipout;
    an estimator given by name or saved in a run's config is kept."""
    created = bayescnn.models.create("lenet", members=4)
    config = TrainConfig.from_dict({"model": "lenet", "dataset": "mnist", "members": 4})
    trained = build_model(config, DATASETS.get("mnist"))
    assert defaults.MEMBERS_ESTIMATOR == "bbb" != defaults.ESTIMATOR
    assert config.estimator == defaults.MEMBERS_ESTIMATOR  # written down: a saved run keeps it
    expected = [(name, "bbb", defaults.MEMBERS_RHO_SCALE) for name, *_ in _policy(created)]
    assert len(expected) == 5 and _policy(created) == _policy(trained) == expected
    asked = bayescnn.models.create("lenet", members=4, estimator="flipout")
    assert {estimator for _, estimator, _ in _policy(asked)} == {"flipout"}
    saved = TrainConfig.from_dict({"model": "lenet", "members": 4, "estimator": "flipout"})
    assert saved.estimator == "flipout"
    assert TrainConfig.from_dict({"model": "lenet"}).estimator == defaults.ESTIMATOR


def test_describe_shortens_a_long_list_of_layers():
    text = bayescnn.describe(
        bayescnn.to_bayesian(torchvision.models.resnet18(), bayesian_layers="all")
    )
    assert "(21 layers)" in text and "..." in text
