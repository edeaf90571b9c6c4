"""One registry for the model zoo: ``bayescnn.models.create(name, ...)``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torchvision
from torch import nn

from bayescnn.convert import to_bayesian
from bayescnn.models import architectures
from bayescnn.models.factory import LayerFactory
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.layer import DEFAULT_RHO_INIT, InitPair
from bayescnn.priors import Prior

SEQUENTIAL_ARCHITECTURES: dict[str, Callable[..., architectures.Layers]] = {
    "lenet": architectures.lenet,
    "alexnet": architectures.alexnet,
    "3conv3fc": architectures.three_conv_three_fc,
}
MODEL_NAMES = (*SEQUENTIAL_ARCHITECTURES, "resnet18")


def resnet18_cifar(in_channels: int, num_classes: int) -> nn.Module:
    """torchvision's ResNet-18 with the CIFAR stem (3x3 stride-1 first conv, no max-pool)."""
    model = torchvision.models.resnet18(num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def create(
    name: str,
    *,
    bayesian: bool = True,
    num_classes: int = 10,
    in_channels: int = 1,
    image_size: int = 32,
    estimator: str | Estimator = Estimator.LRT,
    prior: Prior | None = None,
    activation: str = "softplus",
    posterior_mu_init: InitPair | None = None,
    posterior_rho_init: InitPair = DEFAULT_RHO_INIT,
) -> nn.Module:
    """Build a model of the zoo.

    The Bayesian and the frequentist model come from the same definition and differ
    only in their weight layers. Models return plain logits; use
    :func:`bayescnn.kl_divergence` for the KL term.

    Args:
        name: 'lenet', 'alexnet', '3conv3fc' or 'resnet18'.
        bayesian: Bayesian layers (True) or plain ``nn.Conv2d``/``nn.Linear``.
        num_classes, in_channels, image_size: the data's shape (square images).
        estimator, prior, posterior_mu_init, posterior_rho_init: see
            :class:`bayescnn.nn.BayesianLayer`.
        activation: 'softplus' (the original's default) or 'relu'; not used by resnet18.
    """
    key = name.lower()
    if key not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    if key == "resnet18":
        model = resnet18_cifar(in_channels, num_classes)
        if not bayesian:
            return model
        return to_bayesian(
            model,
            estimator=estimator,
            prior=prior,
            posterior_rho_init=posterior_rho_init,
            inplace=True,
        )
    factory = (
        LayerFactory.bayesian(estimator, prior, posterior_mu_init, posterior_rho_init, activation)
        if bayesian
        else LayerFactory.frequentist(activation)
    )
    layers = SEQUENTIAL_ARCHITECTURES[key](factory, in_channels, num_classes, image_size)
    return nn.Sequential(OrderedDict(layers))
