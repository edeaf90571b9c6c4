"""The posterior-mean network as plain ``torch.nn`` layers: the inverse of ``to_bayesian``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from bayescnn import nn as bnn
from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.errors import InvalidTypeError
from bayescnn.nn.dropout import MCDropout
from bayescnn.nn.layer import BayesianLayer
from bayescnn.nn.rank1 import Rank1Layer
from bayescnn.nn.sampling import set_posterior_mean

__all__ = ["to_deterministic"]

# the plain classes are called with torch's ConvNd arguments (typed per dimension in the stubs)
_PLAIN_CONVS: tuple[tuple[type[BayesianLayer], Callable[..., nn.modules.conv._ConvNd]], ...] = (
    (bnn.Conv1d, nn.Conv1d),
    (bnn.Conv2d, nn.Conv2d),
    (bnn.Conv3d, nn.Conv3d),
)


def _plain_layer(layer: BayesianLayer) -> nn.Module:
    """The ``nn.Linear``/``nn.ConvNd`` with ``layer``'s hyperparameters, W = mu_W, b = mu_b."""
    has_bias = layer.bias_mu is not None
    factory: dict[str, Any] = {"device": layer.weight_mu.device, "dtype": layer.weight_mu.dtype}
    plain: nn.Linear | bnn.PlainPackedLinear | nn.modules.conv._ConvNd
    if isinstance(layer, bnn.Linear):
        plain = nn.Linear(layer.in_features, layer.out_features, bias=has_bias, **factory)
    elif isinstance(layer, bnn.PackedLinear):
        plain = bnn.PlainPackedLinear(
            layer.num_members, layer.in_features, layer.out_features, bias=has_bias, **factory
        )
    else:
        conv_class = next((c for b, c in _PLAIN_CONVS if isinstance(layer, b)), None)
        if conv_class is None:
            raise InvalidTypeError(
                f"to_deterministic knows no plain torch layer for {type(layer).__name__}; "
                "it converts bayescnn.nn.Linear, PackedLinear and Conv1d/2d/3d and their "
                "subclasses"
            )
        plain = conv_class(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=has_bias,
            padding_mode=layer.padding_mode,
            **factory,
        )
    with torch.no_grad():
        plain.weight.copy_(layer.weight_mu)
        plain.weight.requires_grad_(layer.weight_mu.requires_grad)
        if layer.bias_mu is not None and plain.bias is not None:
            plain.bias.copy_(layer.bias_mu)
            plain.bias.requires_grad_(layer.bias_mu.requires_grad)
    return plain.train(layer.training)


def to_deterministic(model: nn.Module, *, inplace: bool = False) -> nn.Module:
    """The posterior-mean network of ``model``, built from plain ``torch.nn`` layers.

    Every :class:`~bayescnn.nn.BayesianLayer` (found by ``isinstance``, so the
    :mod:`bayescnn.compat` layers too) becomes the ``nn.Linear`` or ``nn.Conv1d/2d/3d``
    with the same hyperparameters (stride, padding incl. ``'same'``/``'valid'``,
    dilation, groups, padding_mode, bias, device, dtype) and the posterior means as its
    weights: W = mu_W, b = mu_b. MC dropout becomes ``nn.Identity`` (its mean network);
    every other module is kept as it is. The result computes
    ``op(x, mu_W, mu_b)`` in every layer, i.e. what ``model`` computes inside
    :func:`bayescnn.posterior_mean`, with no Bayesian layer left: it exports, scripts and
    quantises like any PyTorch network. This is the inverse of :func:`bayescnn.to_bayesian`.

    Args:
        model: any module tree, or a single Bayesian layer.
        inplace: replace the layers of ``model`` itself instead of a deep copy's.

    Returns:
        The plain network (a new plain layer if ``model`` is itself a Bayesian layer),
        with ``model``'s temperature; its ``load_state_dict`` takes a calibrated state
        dict's (:func:`bayescnn.calibration.register_temperature_state`).

    Raises:
        InvalidTypeError: a Bayesian layer type with no plain torch equivalent, or a
            rank-1 model (:mod:`bayescnn.nn.rank1`).

    Example:
        >>> plain = bayescnn.to_deterministic(model)
        >>> with bayescnn.posterior_mean(model):
        ...     torch.testing.assert_close(plain(x), model(x))
    """
    if any(isinstance(m, Rank1Layer) for m in model.modules()):
        raise InvalidTypeError(
            "to_deterministic cannot convert a rank-1 model: the mean of a rank-1 layer is "
            "one weight W * (s_k r_k^T) per member k, not one plain layer"
        )
    if isinstance(model, BayesianLayer):
        return _plain_layer(model)
    if isinstance(model, MCDropout):
        return nn.Identity()
    if not inplace:
        model = copy.deepcopy(model)
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, BayesianLayer):
                setattr(module, child_name, _plain_layer(child))
            elif isinstance(child, MCDropout):
                setattr(module, child_name, nn.Identity())
    set_posterior_mean(model)  # any other sampling module: at its mean
    return register_temperature_state(model)  # loads a state dict's temperature too
