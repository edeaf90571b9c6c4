"""The model registry: ``register_model``, ``list_models`` and the zoo's entries.

In the manner of torchvision's ``get_model``/``list_models``. A model is registered as
a function that returns an ``nn.Module``; :func:`bayescnn.models.create` builds it by
name (or by an import path ``package.module:function``, :func:`resolve`).
"""

from __future__ import annotations

import importlib
from collections import OrderedDict
from collections.abc import Callable

from torch import nn

from bayescnn.errors import UnknownNameError
from bayescnn.models import architectures
from bayescnn.models.factory import LayerFactory
from bayescnn.nn.packed import PackedEnsemble
from bayescnn.registry import Registry

__all__ = ["MODELS", "PACKABLE", "list_models", "register_model", "resolve"]

ModelBuilder = Callable[..., nn.Module]
MODELS: Registry[ModelBuilder] = Registry("model")


def register_model(name: str, *, replace: bool = False) -> Callable[[ModelBuilder], ModelBuilder]:
    """Decorator: make ``create(name, ...)`` (and ``bayescnn train --model name``) build it."""
    return MODELS.register(name, replace=replace)


def list_models() -> list[str]:
    """The registered model names (import paths ``package.module:function`` work too)."""
    return MODELS.names()


PACKABLE: set[ModelBuilder] = set()
"""The builders that can pack K members (``create(..., members=K)``): the zoo's
architectures defined from a :class:`LayerFactory` alone."""


def _sequential(define: Callable[..., architectures.Layers]) -> ModelBuilder:
    def build(
        layers: LayerFactory, in_channels: int, num_classes: int, image_size: int
    ) -> nn.Module:
        model = nn.Sequential(OrderedDict(define(layers, in_channels, num_classes, image_size)))
        return model if layers.members == 1 else PackedEnsemble(model, layers.members)

    build.__doc__ = define.__doc__
    PACKABLE.add(build)
    return build


register_model("lenet")(_sequential(architectures.lenet))
register_model("alexnet")(_sequential(architectures.alexnet))
register_model("3conv3fc")(_sequential(architectures.three_conv_three_fc))


@register_model("resnet18")
def resnet18_cifar(in_channels: int, num_classes: int) -> nn.Module:
    """torchvision's ResNet-18 with the CIFAR stem (3x3 stride-1 first conv, no max-pool)."""
    import torchvision  # only when built: the registry alone stays light

    model: nn.Module = torchvision.models.resnet18(num_classes=num_classes)  # untyped package
    model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def _import_path(path: str) -> ModelBuilder:
    """The function named by ``package.module:function``."""
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise UnknownNameError(
            f"cannot import {module_name!r} for model {path!r} ({error}); is the package "
            "installed or on PYTHONPATH?"
        ) from None
    builder: ModelBuilder | None = getattr(module, attribute, None)  # checked just below
    if not callable(builder):
        raise UnknownNameError(f"{module_name!r} has no function {attribute!r} (model {path!r})")
    return builder


def resolve(name: str) -> ModelBuilder:
    """A registered name, or an import path ``package.module:function``."""
    if isinstance(name, str) and ":" in name:
        return _import_path(name)
    return MODELS.get(name)
