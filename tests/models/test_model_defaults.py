"""The zoo's defaults (issue #23): one network is a Bayesian head at rho scale 3, packed
members and rank-1 networks are Bayesian in every layer, members at rho scale 1."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError
from bayescnn.models import create
from bayescnn.nn.rank1 import Rank1Layer


def _bayesian(model: nn.Module) -> dict[str, float]:
    """The Bayesian layers' names and rho scales."""
    return {
        name: float(m.posterior_rho_scale)
        for name, m in model.named_modules()
        if isinstance(m, bnn.BayesianLayer)
    }


def _all_conv(num_classes: int, in_channels: int) -> nn.Module:
    """A network without a fully connected layer."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 8, 3), nn.ReLU(), nn.Conv2d(8, num_classes, 3),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )  # fmt: skip


@pytest.fixture
def all_conv():
    bayescnn.models.register_model("all-conv-test")(_all_conv)
    yield "all-conv-test"
    del bayescnn.models.MODELS["all-conv-test"]


def test_the_defaults_are_the_fully_connected_layers_at_rho_scale_3_for_one_network():
    assert defaults.BAYESIAN_LAYERS == "linear" and defaults.MODEL_RHO_SCALE == 3.0
    assert defaults.MEMBERS_RHO_SCALE == 1.0 and defaults.POSTERIOR_RHO_SCALE == 1.0


@pytest.mark.parametrize(
    ("name", "head"),
    [("lenet", ["fc1", "fc2", "fc3"]), ("alexnet", ["classifier"]), ("resnet18", ["fc"])],
)
def test_by_default_only_a_networks_fully_connected_layers_are_bayesian_at_rho_scale_3(name, head):
    model = create(name)
    assert _bayesian(model) == dict.fromkeys(head, 3.0)
    plain = [m for m in model.modules() if type(m) in (nn.Conv2d, nn.Linear)]
    assert plain and all(isinstance(m, nn.Conv2d) for m in plain), "a plain trunk"


def test_a_default_lenets_sigma_is_softplus_of_three_times_the_stored_rho():
    fc1 = create("lenet").fc1
    expected = nn.functional.softplus(3.0 * fc1.weight_rho)
    torch.testing.assert_close(fc1.weight_sigma, expected)


def test_packed_members_are_bayesian_in_every_layer_at_rho_scale_1_by_default():
    model = create("lenet", members=3)
    assert _bayesian(model) == dict.fromkeys(
        ["body.conv1", "body.conv2", "body.fc1", "body.fc2", "body.fc3"], 1.0
    )


def test_a_rank1_network_is_rank1_in_every_weight_layer_by_default():
    model = create("lenet", posterior_family="rank1")
    rank1 = [name for name, m in model.named_modules() if isinstance(m, Rank1Layer)]
    assert [name.removeprefix("network.") for name in rank1] == [
        "conv1", "conv2", "fc1", "fc2", "fc3",
    ]  # fmt: skip


def test_a_rho_scale_or_layers_given_override_the_defaults():
    model = create("lenet", bayesian_layers="all", rho_scale=1.0)
    assert _bayesian(model) == dict.fromkeys(["conv1", "conv2", "fc1", "fc2", "fc3"], 1.0)


def test_a_posterior_spec_given_keeps_its_own_rho_scale_or_takes_the_models():
    model = create("lenet", posterior=bayescnn.PosteriorSpec(rho_scale=1.0))
    assert set(_bayesian(model).values()) == {1.0}
    unset = create("lenet", posterior=bayescnn.PosteriorSpec())
    assert set(_bayesian(unset).values()) == {defaults.MODEL_RHO_SCALE}


def test_the_default_on_a_network_without_fully_connected_layers_makes_every_layer_bayesian(
    all_conv,
):
    assert _bayesian(create(all_conv)) == {"0": 3.0, "2": 3.0}


def test_linear_asked_of_a_network_without_fully_connected_layers_is_an_error_naming_them(
    all_conv,
):
    with pytest.raises(InvalidArgumentError, match=r"no fully connected layer; its layers: 0, 2"):
        create(all_conv, bayesian_layers="linear")


def test_a_model_with_its_own_bayesian_layers_keeps_them_by_default_and_refuses_a_subset():
    def own(num_classes: int, in_channels: int) -> nn.Module:
        return nn.Sequential(nn.Flatten(), bnn.Linear(in_channels * 32 * 32, num_classes))

    bayescnn.models.register_model("own-bayesian-test")(own)
    try:
        assert _bayesian(create("own-bayesian-test")) == {"1": 1.0}  # its own layer, as built
        assert list(_bayesian(create("own-bayesian-test", bayesian_layers="all"))) == ["1"]
        with pytest.raises(InvalidArgumentError, match=r"bayesian_layers='all'.*to keep its own"):
            create("own-bayesian-test", bayesian_layers="fc*")
    finally:
        del bayescnn.models.MODELS["own-bayesian-test"]
