"""The model zoo: one definition, Bayesian or frequentist, any input shape."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import models
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError
from bayescnn.models import create


@pytest.mark.parametrize("name", ["lenet", "alexnet", "3conv3fc", "resnet18"])
@pytest.mark.parametrize(("in_channels", "image_size"), [(1, 28), (3, 32)])
def test_every_model_gives_logits_for_its_input_shape(name, in_channels, image_size):
    if name == "alexnet" and image_size < 32:
        image_size = 32
    model = models.create(name, in_channels=in_channels, num_classes=7, image_size=image_size)
    assert model(torch.randn(2, in_channels, image_size, image_size)).shape == (2, 7)


@pytest.mark.parametrize("name", ["lenet", "alexnet", "3conv3fc"])
def test_bayesian_and_frequentist_models_share_the_architecture(name):
    bayes = models.create(name, in_channels=3, bayesian_layers="all")
    plain = models.create(name, bayesian=False, in_channels=3)
    bayes_shapes = [tuple(m.weight_mu.shape) for m in bnn.bayesian_layers(bayes)]
    plain_shapes = [
        tuple(m.weight.shape) for m in plain.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    assert bayes_shapes == plain_shapes
    assert [type(m) for m in plain.modules() if not list(m.children())] == [
        type(m)
        if not isinstance(m, bnn.BayesianLayer)
        else {bnn.Conv2d: nn.Conv2d, bnn.Linear: nn.Linear}[type(m)]
        for m in bayes.modules()
        if not list(m.children()) or isinstance(m, bnn.BayesianLayer)
        if not isinstance(m, bayescnn.Prior)
    ]


def test_lenet_has_the_original_sizes():
    model = models.create("lenet", in_channels=1, image_size=32, bayesian_layers="all")
    assert [tuple(m.weight_mu.shape) for m in bnn.bayesian_layers(model)] == [
        (6, 1, 5, 5),
        (16, 6, 5, 5),
        (120, 400),
        (84, 120),
        (10, 84),
    ]


def test_unknown_model_or_activation_is_a_value_error_listing_the_choices():
    with pytest.raises(ValueError, match="lenet"):
        models.create("vgg")
    with pytest.raises(ValueError, match="relu"):
        models.create("lenet", activation="tanh")


def test_too_small_images_are_a_clear_error():
    with pytest.raises(ValueError, match="too small"):
        models.create("lenet", image_size=8)


def _kinds(model):
    return {
        name: isinstance(m, bnn.BayesianLayer)
        for name, m in model.named_modules()
        if isinstance(m, nn.Linear | nn.Conv2d | bnn.BayesianLayer)
    }


@pytest.mark.parametrize("layers", ["fc*", "fc1, fc2,fc3", ["fc*"]])
def test_bayesian_layers_makes_only_the_named_layers_bayesian(layers):
    model = create("lenet", bayesian_layers=layers, in_channels=1, image_size=32)
    kinds = _kinds(model)
    assert kinds == {"conv1": False, "conv2": False, "fc1": True, "fc2": True, "fc3": True}
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert bayescnn.kl_divergence(model) > 0


def test_a_partly_bayesian_model_keeps_the_estimator_prior_and_initialisation():
    prior = bayescnn.priors.GaussianPrior(0.0, 0.3)
    model = create(
        "lenet",
        bayesian_layers="fc3",
        estimator="bbb",
        prior=prior,
        posterior_mu_init=(0.0, 0.01),
        posterior_rho_init=(-4.0, 0.0),
        in_channels=1,
    )
    fc3 = model.fc3
    assert fc3.estimator.value == "bbb" and fc3.prior.sigma == 0.3
    assert fc3.weight_mu.std().item() == pytest.approx(0.01, rel=0.3)
    torch.testing.assert_close(fc3.weight_rho_value.detach(), torch.full_like(fc3.weight_rho, -4.0))


def test_bayesian_layers_all_makes_every_layer_bayesian_and_frequentist_ignores_it():
    assert all(_kinds(create("lenet", bayesian_layers="all", in_channels=1)).values())
    twin = create("lenet", bayesian=False, bayesian_layers="fc*", in_channels=1)
    assert not any(_kinds(twin).values())


def test_bayesian_layers_that_match_nothing_are_an_error_listing_the_layers():
    with pytest.raises(bayescnn.BayesCNNError, match="its layers: conv1, conv2, fc1, fc2, fc3"):
        create("lenet", bayesian_layers="head*", in_channels=1)


@pytest.mark.parametrize("layers", [" , ", []])
def test_empty_bayesian_layers_are_an_error_naming_the_choices(layers):
    with pytest.raises(bayescnn.BayesCNNError, match="must be 'linear', 'all' or layer-name globs"):
        create("lenet", bayesian_layers=layers, in_channels=1)


@pytest.mark.parametrize("bayesian", [True, False])
def test_an_activation_the_model_does_not_take_is_an_error_naming_its_options(bayesian):
    with pytest.raises(InvalidArgumentError, match=r"'resnet18' does not take activation") as e:
        models.create("resnet18", bayesian=bayesian, activation="softplus")
    assert "in_channels, num_classes" in str(e.value)


def test_a_model_built_from_layers_takes_the_activation_through_them():
    model = models.create("lenet", activation="softplus")
    assert isinstance(model.act1, nn.Softplus)


@pytest.fixture
def fixed_head():
    """A user model that takes the input channels only: its head has 10 outputs."""

    @models.register_model("fixed-head", replace=True)
    def build(in_channels: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(in_channels, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10)
        )

    yield "fixed-head"
    del models.MODELS["fixed-head"]


def test_a_model_that_does_not_take_num_classes_refuses_another_number(fixed_head):
    with pytest.raises(InvalidArgumentError, match="does not take num_classes"):
        models.create(fixed_head, num_classes=5)


def test_options_left_at_their_defaults_and_the_image_size_need_not_be_taken(fixed_head):
    model = models.create(fixed_head, in_channels=3, image_size=20)
    assert model(torch.randn(2, 3, 20, 20)).shape == (2, 10)
