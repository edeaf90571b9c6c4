"""Turn any ``nn.Module`` tree into a Bayesian one in one call.

Which layers become Bayesian is one policy for every network the library builds
(:data:`bayescnn.defaults.BAYESIAN_LAYERS`): the fully connected layers, on a plain
convolutional trunk, at rho scale :data:`bayescnn.defaults.MODEL_RHO_SCALE`; every layer
of a network that has no fully connected one. ``bayesian_layers="all"`` makes every
``Linear`` and ``Conv1d/2d/3d`` Bayesian.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.nn.conv import Conv1d, Conv2d, Conv3d
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.layer import BayesianLayer, inverse_softplus
from bayescnn.nn.linear import Linear
from bayescnn.nn.packed import PackedEnsemble, PlainPackedLinear
from bayescnn.nn.rank1 import Rank1Layer
from bayescnn.nn.spec import UNSET, InitPair, PosteriorSpec, Unset
from bayescnn.priors import Prior

_CONVERSIONS: dict[type[nn.Module], type[BayesianLayer]] = {
    nn.Linear: Linear,
    nn.Conv1d: Conv1d,
    nn.Conv2d: Conv2d,
    nn.Conv3d: Conv3d,
}


def _bayesian_class(module: nn.Module) -> type[BayesianLayer] | None:
    for plain, bayesian in _CONVERSIONS.items():
        if type(module) is plain or (
            isinstance(module, plain) and not isinstance(module, BayesianLayer)
        ):
            return bayesian
    return None


LINEAR_LAYERS = "linear"
"""``bayesian_layers`` naming every fully connected (``nn.Linear``) layer of a network."""
ALL_LAYERS = "all"
"""``bayesian_layers`` naming every ``Linear`` and ``Conv1d/2d/3d`` layer."""

LayerSelection = str | Sequence[str]
"""``'linear'``, ``'all'``, or glob patterns over qualified layer names (a sequence, or
one comma-separated string such as ``'fc*, conv1'``)."""


def layer_patterns(bayesian_layers: LayerSelection) -> list[str] | None:
    """``'all'`` -> None (every layer); ``'linear'`` -> ``['linear']`` (resolved against the
    network by :func:`to_bayesian`); ``'fc*, conv1'`` or a sequence -> glob patterns."""
    if isinstance(bayesian_layers, str):
        if bayesian_layers.strip() == ALL_LAYERS:
            return None
        bayesian_layers = bayesian_layers.split(",")
    patterns = [p.strip() for p in bayesian_layers if p.strip()]
    if not patterns:
        raise InvalidArgumentError(
            "bayesian_layers must be 'linear', 'all' or layer-name globs such as 'fc*', got "
            f"{bayesian_layers!r}"
        )
    return patterns


def weight_layer_names(model: nn.Module) -> list[str]:
    """The qualified names of ``model``'s plain ``Linear`` / ``Conv1d/2d/3d`` layers."""
    return [name for name, module in model.named_modules() if _bayesian_class(module)]


def _patterns_to_convert(
    model: nn.Module, bayesian_layers: LayerSelection | None
) -> list[str] | None:
    """The glob patterns of the layers :func:`to_bayesian` converts (None: every one).

    ``'linear'`` resolves to the network's fully connected layers; a network without one
    gets every layer when the selection is the default, an error when it was asked for.
    """
    explicit = bayesian_layers is not None
    patterns = layer_patterns(
        defaults.BAYESIAN_LAYERS if bayesian_layers is None else bayesian_layers
    )
    if patterns != [LINEAR_LAYERS]:
        return patterns
    linear = [name for name, module in model.named_modules() if _bayesian_class(module) is Linear]
    if not linear and explicit:
        raise InvalidArgumentError(
            "bayesian_layers='linear' but the network has no fully connected layer; its "
            f"layers: {', '.join(weight_layer_names(model)) or 'none'}"
        )
    return linear or None


def _selected(name: str, include: Sequence[str] | None, exclude: Sequence[str] | None) -> bool:
    if include is not None and not any(fnmatch.fnmatchcase(name, p) for p in include):
        return False
    return not (exclude is not None and any(fnmatch.fnmatchcase(name, p) for p in exclude))


def _hyperparameters(module: nn.Linear | nn.modules.conv._ConvNd) -> dict[str, Any]:
    if isinstance(module, nn.Linear):
        return {"in_features": module.in_features, "out_features": module.out_features}
    if module.transposed:
        raise InvalidTypeError("transposed convolutions are not supported by to_bayesian")
    return {
        "in_channels": module.in_channels,
        "out_channels": module.out_channels,
        "kernel_size": module.kernel_size,
        "stride": module.stride,
        "padding": module.padding,
        "dilation": module.dilation,
        "groups": module.groups,
        "padding_mode": module.padding_mode,
    }


def _convert_layer(
    module: nn.Module,
    cls: Callable[..., BayesianLayer],  # Linear or a ConvNd: takes the plain layer's arguments
    *,
    posterior: PosteriorSpec,
    init_from_weights: bool,
    delta: float,
) -> BayesianLayer:
    assert isinstance(module, nn.Linear | nn.modules.conv._ConvNd)  # what _bayesian_class maps
    weight = module.weight
    layer = cls(
        **_hyperparameters(module),
        bias=module.bias is not None,
        posterior=posterior,
        device=weight.device,
        dtype=weight.dtype,
    )
    if init_from_weights:
        with torch.no_grad():
            layer.weight_mu.copy_(weight)
            tiny = torch.finfo(weight.dtype).tiny ** 0.5
            bias_rho = None
            if module.bias is not None and layer.bias_mu is not None:
                layer.bias_mu.copy_(module.bias)
                bias_rho = inverse_softplus((delta * module.bias.abs()).clamp_min(tiny))
            layer.set_rho(inverse_softplus((delta * weight.abs()).clamp_min(tiny)), bias_rho)
    return layer


def to_bayesian(
    model: nn.Module,
    *,
    bayesian_layers: LayerSelection | None = None,
    posterior: PosteriorSpec | None = None,
    estimator: str | Estimator | Unset = UNSET,
    prior: Prior | Unset | None = UNSET,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    init_from_weights: bool = False,
    delta: float = 0.1,
    posterior_mu_init: InitPair | Unset | None = UNSET,
    posterior_rho_init: InitPair | Unset = UNSET,
    rho_scale: float | Unset = UNSET,
    inplace: bool = False,
) -> nn.Module:
    """Replace ``model``'s fully connected layers (or the ones chosen) by Bayesian twins.

    By default (:data:`bayescnn.defaults.BAYESIAN_LAYERS`) every ``nn.Linear`` becomes
    Bayesian, on a plain convolutional trunk, at rho scale
    :data:`bayescnn.defaults.MODEL_RHO_SCALE`; a network without a fully connected layer
    has every ``Conv1d/2d/3d`` converted instead. This is the network
    ``bayescnn.models.create`` and ``bayescnn train`` build. Layers are found by
    ``isinstance`` and keep every hyperparameter (stride, padding, dilation, groups,
    padding_mode, bias, device, dtype). :func:`bayescnn.describe` says what was built.

    Args:
        model: any module tree, e.g. a torchvision ResNet.
        bayesian_layers: ``'linear'`` (the default: the fully connected layers), ``'all'``
            (every ``Linear`` and ``Conv1d/2d/3d``), or glob patterns over qualified
            layer names (``['layer4.*', 'fc']`` or ``'layer4.*, fc'``).
        posterior: the estimator, prior and initialisation of every converted layer
            (default ``PosteriorSpec()``: :mod:`bayescnn.defaults`; an unset rho scale
            is the network's, :data:`~bayescnn.defaults.MODEL_RHO_SCALE`).
        estimator: ``"bbb"``, ``"lrt"`` or ``"flipout"`` (instead of ``posterior``, as the
            next keywords; see :meth:`PosteriorSpec.merge`).
        prior: prior for every converted layer (default N(0, 1)).
        include: glob patterns over qualified module names (``"layer1.*"``), the same as
            ``bayesian_layers=patterns`` (give one of the two).
        exclude: glob patterns of layers to keep deterministic among the selected ones
            (e.g. ``["fc"]`` with ``bayesian_layers='all'``).
        init_from_weights: MOPED (Krishnan et al. 2020): start the posterior mean at
            the trained weights and sigma at ``delta * |w|``.
        delta: MOPED's scale, > 0.
        posterior_mu_init: ``(mean, std)`` of a normal init of the posterior means when
            not starting from the weights (None: PyTorch's init of the plain layer).
        posterior_rho_init: rho init when not starting from the weights.
        rho_scale: c of sigma = softplus(c * stored rho): Adam moves rho c times faster
            than the means (see :class:`PosteriorSpec`); default
            :data:`~bayescnn.defaults.MODEL_RHO_SCALE`.
        inplace: modify ``model`` itself instead of a deep copy.

    Returns:
        The converted model. Its ``load_state_dict`` takes a calibrated state dict's
        temperature (:func:`bayescnn.calibration.register_temperature_state`).

    Raises:
        InvalidArgumentError: ``bayesian_layers`` (or ``include``) selects no layer, or
            both are given.
        InvalidTypeError: For a single layer, or for packed members
            (:mod:`bayescnn.nn.packed`), whose KL must be the mean over members: build
            those Bayesian with ``models.create(..., members=K)``.
    """
    if any(isinstance(m, PackedEnsemble | PlainPackedLinear) for m in model.modules()):
        raise InvalidTypeError(
            "to_bayesian cannot convert packed members (their KL is the mean over members, "
            "a plain layer's twin would sum it); build the Bayesian network with "
            "bayescnn.models.create(..., members=K)"
        )
    spec = PosteriorSpec.merge(
        posterior,
        estimator=estimator,
        prior=prior,
        posterior_mu_init=posterior_mu_init,
        posterior_rho_init=posterior_rho_init,
        rho_scale=rho_scale,
    )
    if spec.rho_scale is None:  # unset here and in the spec: a network's
        spec = dataclasses.replace(spec, rho_scale=defaults.MODEL_RHO_SCALE)
    if init_from_weights and not delta > 0:
        raise InvalidArgumentError(f"delta must be > 0 with init_from_weights=True, got {delta!r}")
    if _bayesian_class(model) is not None:
        raise InvalidTypeError(
            "to_bayesian needs a container module; wrap a single layer in nn.Sequential"
        )
    if include is not None and bayesian_layers is not None:
        raise InvalidArgumentError(
            "give bayesian_layers or include, not both (include=patterns is "
            "bayesian_layers=patterns)"
        )
    explicit = include is not None or bayesian_layers is not None
    include = _patterns_to_convert(model, include if include is not None else bayesian_layers)
    if not inplace:
        model = copy.deepcopy(model)
    converted = 0
    for name, module in list(model.named_modules()):
        if isinstance(module, Rank1Layer):
            continue  # its shared weight is part of a rank-1 posterior already
        for child_name, child in list(module.named_children()):
            qualified = f"{name}.{child_name}" if name else child_name
            cls = _bayesian_class(child)
            if cls is None or not _selected(qualified, include, exclude):
                continue
            setattr(
                module,
                child_name,
                _convert_layer(
                    child,
                    cls,
                    posterior=spec,
                    init_from_weights=init_from_weights,
                    delta=delta,
                ),
            )
            converted += 1
    if not converted and (explicit or exclude is not None):
        selection = "every layer" if include is None else ", ".join(include)
        if not explicit:
            selection += " by default; bayesian_layers='all' selects among every layer"
        if exclude is not None:
            selection += f", less exclude={list(exclude)!r}"
        raise InvalidArgumentError(
            f"bayesian_layers ({selection}) matches no layer of the network; its layers: "
            f"{', '.join(weight_layer_names(model)) or 'none'}"
        )
    return register_temperature_state(model)
