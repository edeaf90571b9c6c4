"""The original's model constructors, e.g. ``BBBLeNet(outputs, inputs, priors, layer_type, ...)``.

They are :class:`ModuleWrapper` s (output ``(logits, kl)``) built from the same
architecture definitions as :func:`bayescnn.models.create`, with the original module
names, so the original code's ``state_dict`` files load.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bayescnn.compat.layers import (
    BBB_Conv2d,
    BBB_Linear,
    BBB_LRT_Conv2d,
    BBB_LRT_Linear,
    ModuleWrapper,
)
from bayescnn.errors import UnknownNameError
from bayescnn.models import architectures
from bayescnn.models.factory import LayerFactory, activation_class

_LAYER_TYPES = {"lrt": (BBB_LRT_Conv2d, BBB_LRT_Linear), "bbb": (BBB_Conv2d, BBB_Linear)}


class _OriginalModel(ModuleWrapper):
    architecture: Callable[..., architectures.Layers]

    def __init__(
        self,
        outputs: int,
        inputs: int,
        priors: dict[str, Any] | None,
        layer_type: str = "lrt",
        activation_type: str = "softplus",
        image_size: int = 32,
    ) -> None:
        super().__init__()
        if layer_type not in _LAYER_TYPES:
            raise UnknownNameError(f"Undefined layer_type {layer_type!r}; use 'lrt' or 'bbb'")
        self.num_classes = outputs
        self.layer_type = layer_type
        self.priors = priors
        conv, linear = _LAYER_TYPES[layer_type]
        factory = LayerFactory(
            partial(conv, priors=priors),
            partial(linear, priors=priors),
            activation_class(activation_type),
        )
        for name, module in type(self).architecture(factory, inputs, outputs, image_size):
            self.add_module(name, module)


class BBBLeNet(_OriginalModel):
    """The original Bayesian LeNet-5."""

    architecture = staticmethod(architectures.lenet)


class BBBAlexNet(_OriginalModel):
    """The original Bayesian AlexNet."""

    architecture = staticmethod(architectures.alexnet)


class BBB3Conv3FC(_OriginalModel):
    """The original Bayesian 3Conv3FC."""

    architecture = staticmethod(architectures.three_conv_three_fc)
