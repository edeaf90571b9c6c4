"""Turn any ``nn.Module`` tree into a Bayesian one in one call."""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Sequence

import torch
from torch import nn

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.nn.conv import Conv1d, Conv2d, Conv3d
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.layer import BayesianLayer, inverse_softplus
from bayescnn.nn.linear import Linear
from bayescnn.nn.packed import PackedEnsemble, PlainPackedLinear
from bayescnn.nn.rank1 import Rank1Layer
from bayescnn.nn.spec import UNSET, InitPair, PosteriorSpec, Unset
from bayescnn.nn.temperature import register_temperature_state
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


def _selected(name: str, include: Sequence[str] | None, exclude: Sequence[str] | None) -> bool:
    if include is not None and not any(fnmatch.fnmatchcase(name, p) for p in include):
        return False
    return not (exclude is not None and any(fnmatch.fnmatchcase(name, p) for p in exclude))


def _hyperparameters(module: nn.Module) -> dict[str, object]:
    if isinstance(module, nn.Linear):
        return {"in_features": module.in_features, "out_features": module.out_features}
    assert isinstance(module, nn.modules.conv._ConvNd)
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
    cls: type[BayesianLayer],
    *,
    posterior: PosteriorSpec,
    init_from_weights: bool,
    delta: float,
) -> BayesianLayer:
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
            if module.bias is not None:
                layer.bias_mu.copy_(module.bias)
                bias_rho = inverse_softplus((delta * module.bias.abs()).clamp_min(tiny))
            layer.set_rho(inverse_softplus((delta * weight.abs()).clamp_min(tiny)), bias_rho)
    return layer


def to_bayesian(
    model: nn.Module,
    *,
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
    """Replace every ``nn.Linear`` and ``nn.Conv1d/2d/3d`` of ``model`` by its Bayesian twin.

    Layers are found by ``isinstance`` and keep every hyperparameter (stride, padding,
    dilation, groups, padding_mode, bias, device, dtype).

    Args:
        model: any module tree, e.g. a torchvision ResNet.
        posterior: the estimator, prior and initialisation of every converted layer
            (default ``PosteriorSpec()``: :mod:`bayescnn.defaults`).
        estimator: ``"bbb"``, ``"lrt"`` or ``"flipout"`` (instead of ``posterior``, as the
            next keywords; see :meth:`PosteriorSpec.merge`).
        prior: prior for every converted layer (default N(0, 1)).
        include: glob patterns over qualified module names (``"layer1.*"``); only
            matching layers are converted. None converts all.
        exclude: glob patterns of layers to keep deterministic (e.g. ``["fc"]``).
        init_from_weights: MOPED (Krishnan et al. 2020): start the posterior mean at
            the trained weights and sigma at ``delta * |w|``.
        delta: MOPED's scale, > 0.
        posterior_mu_init: ``(mean, std)`` of a normal init of the posterior means when
            not starting from the weights (None: PyTorch's init of the plain layer).
        posterior_rho_init: rho init when not starting from the weights.
        rho_scale: c of sigma = softplus(c * stored rho): Adam moves rho c times faster
            than the means (see :class:`PosteriorSpec`).
        inplace: modify ``model`` itself instead of a deep copy.

    Returns:
        The converted model. Its ``load_state_dict`` takes a calibrated state dict's
        temperature (:func:`bayescnn.nn.register_temperature_state`).

    Raises:
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
    if init_from_weights and not delta > 0:
        raise InvalidArgumentError(f"delta must be > 0 with init_from_weights=True, got {delta!r}")
    if not inplace:
        model = copy.deepcopy(model)
    if _bayesian_class(model) is not None:
        raise InvalidTypeError(
            "to_bayesian needs a container module; wrap a single layer in nn.Sequential"
        )
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
    return register_temperature_state(model)
