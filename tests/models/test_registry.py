"""The model zoo: one definition, Bayesian or frequentist, any input shape."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import models
from bayescnn import nn as bnn


@pytest.mark.parametrize("name", ["lenet", "alexnet", "3conv3fc", "resnet18"])
@pytest.mark.parametrize(("in_channels", "image_size"), [(1, 28), (3, 32)])
def test_every_model_gives_logits_for_its_input_shape(name, in_channels, image_size):
    if name == "alexnet" and image_size < 32:
        image_size = 32
    model = models.create(name, in_channels=in_channels, num_classes=7, image_size=image_size)
    assert model(torch.randn(2, in_channels, image_size, image_size)).shape == (2, 7)


@pytest.mark.parametrize("name", ["lenet", "alexnet", "3conv3fc"])
def test_bayesian_and_frequentist_models_share_the_architecture(name):
    bayes = models.create(name, in_channels=3)
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
    model = models.create("lenet", in_channels=1, image_size=32)
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
