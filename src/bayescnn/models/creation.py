"""Building a registered model, Bayesian or frequentist: ``create``.

A registered model's function (:mod:`bayescnn.models.registry`) is called with the
keywords it accepts among ``num_classes``, ``in_channels``, ``image_size``, ``activation``
and ``layers`` (a :class:`LayerFactory` that makes Bayesian or plain layers, with the
activation). A function that builds plain layers only is made Bayesian by
:func:`bayescnn.to_bayesian`. ``image_size`` is offered to the functions that need it; any
other option set away from its default that the function does not take is an error
naming it, never dropped.

Example:
    >>> @bayescnn.models.register_model("tiny")
    ... def tiny(num_classes: int, in_channels: int) -> nn.Module:
    ...     return nn.Sequential(nn.Conv2d(in_channels, 8, 3), nn.ReLU(),
    ...                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, num_classes))
    >>> model = bayescnn.models.create("tiny", num_classes=10, in_channels=1)
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence

from torch import nn

from bayescnn import defaults
from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.models.factory import LayerFactory
from bayescnn.models.registry import MODELS, PACKABLE, ModelBuilder, resolve
from bayescnn.nn import bayesian_layers as bayesian_layers_of
from bayescnn.nn.convert import layer_patterns, to_bayesian, weight_layer_names
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.rank1 import Rank1Layer, Rank1Network
from bayescnn.nn.spec import UNSET, InitPair, PosteriorFamily, PosteriorSpec, Unset
from bayescnn.priors import Prior
from bayescnn.registry import accepted_keywords, call_with_accepted

__all__ = ["create", "model_bayesian_layers", "model_estimator", "model_rho_scale"]


def create(
    name: str,
    *,
    bayesian: bool = True,
    num_classes: int = 10,
    in_channels: int = 1,
    image_size: int = 32,
    posterior: PosteriorSpec | None = None,
    estimator: str | Estimator | Unset = UNSET,
    prior: Prior | Unset | None = UNSET,
    activation: str = defaults.ACTIVATION,
    posterior_mu_init: InitPair | Unset | None = UNSET,
    posterior_rho_init: InitPair | Unset = UNSET,
    rho_scale: float | Unset = UNSET,
    dropout: float = 0.0,
    bayesian_layers: str | Sequence[str] | None = None,
    posterior_family: str | PosteriorFamily = defaults.POSTERIOR_FAMILY,
    members: int | None = None,
    member_width: float = 1.0,
) -> nn.Module:
    """Build a registered model (or ``package.module:function``), Bayesian or frequentist.

    The Bayesian and the frequentist model come from the same definition and differ
    only in their weight layers. Models return plain logits; use
    :func:`bayescnn.kl_divergence` for the KL term. Defaults: :mod:`bayescnn.defaults`.

    Args:
        name: one of :func:`list_models`, or ``package.module:function``.
        bayesian: Bayesian layers (True) or plain ``nn.Conv2d``/``nn.Linear``.
        num_classes, in_channels, image_size: the data's shape (square images).
        posterior: the estimator, prior and initialisation of the Bayesian layers
            (default ``PosteriorSpec()``: :mod:`bayescnn.defaults`).
        estimator, prior, posterior_mu_init, posterior_rho_init, rho_scale: the same one
            by one, instead of ``posterior`` (see :meth:`bayescnn.PosteriorSpec.merge`).
            Unset estimator (and no ``posterior``): the model's default, ``ESTIMATOR``
            (Flipout) for one network, ``MEMBERS_ESTIMATOR`` (weight sampling) for packed
            members (:func:`model_estimator`);
            ``rho_scale`` c > 1 makes any Adam loop move rho c times faster than the means
            (sigma = softplus(c * stored rho)). Unset here and in ``posterior``: the
            model's default, ``MODEL_RHO_SCALE`` (3) for one network,
            ``MEMBERS_RHO_SCALE`` (1) for packed members (:func:`model_rho_scale`).
        activation: 'relu' or 'softplus' (the original's), for models that take it
            (or take ``layers``).
        dropout: MC dropout rate before every fully connected layer, kept on at
            prediction (Gal & Ghahramani 2016's baseline); for models built from
            ``layers`` (the zoo's LeNet, AlexNet, 3Conv3FC).
        bayesian_layers: ``'linear'`` (the fully connected layers), ``'all'``, or glob
            patterns over the layers' qualified names (a sequence, or one comma-separated
            string such as ``'fc*'``): only those are Bayesian, the rest plain (ignored
            when ``bayesian`` is False). None: ``BAYESIAN_LAYERS`` (``'linear'``) for one
            network (every layer for a network without fully connected layers), ``'all'``
            for packed members (:func:`model_bayesian_layers`).
        posterior_family: ``'mean-field'`` (a Gaussian per weight) or ``'rank1'``
            (Dusenberry et al. 2020's mixture of rank-1 factors, :mod:`bayescnn.nn.rank1`):
            a :class:`bayescnn.nn.Rank1Network` of ``members`` components (default
            ``RANK1_MEMBERS``) returning logits ``(K, B, C)``, for models built from
            ``layers``. Its ``prior`` (default N(1, 0.1^2)) is over the factors r and s,
            ``posterior_mu_init`` sets their means' init (default N(1, 0.5^2)) and
            ``posterior_rho_init`` their rho's; ``posterior``, ``estimator`` and a
            ``rho_scale`` other than 1 do not apply.
        members: K, the members the network runs at once, returning ``(K, B, classes)``
            logits (every prediction then draws ``S x K`` samples). For ``'rank1'`` its
            mixture components (default ``RANK1_MEMBERS``). For ``'mean-field'``, K > 1
            builds a packed ensemble (Laurent et al. 2023) of K members in one network
            (:class:`bayescnn.nn.PackedEnsemble`): grouped convolutions and grouped fully
            connected layers, each member with its own parameters (Bayesian or plain),
            its KL the mean of the members' KLs; for the zoo's LeNet, AlexNet and
            3Conv3FC. None or 1: one network.
        member_width: factor of a packed ensemble's hidden widths (not the input
            channels nor the classes), Packed-Ensembles' alpha: below 1 shrinks the
            members towards one network's cost (mean-field only).

    Returns:
        The network. Its ``load_state_dict`` takes a calibrated state dict's temperature
        (see :func:`bayescnn.calibration.register_temperature_state`), so the state dict of
        ``torch.save(model.state_dict())`` loads into the same ``create(...)`` with
        ``strict=True``, calibrated or not.

    Raises:
        UnknownNameError: for an unknown name (a :class:`bayescnn.BayesCNNError`).
        InvalidArgumentError: if ``bayesian_layers`` matches no weight layer, or for an
            option the model's function does not take (``num_classes``, ``in_channels``,
            ``activation`` away from their defaults, ``dropout``), or ``members`` /
            ``member_width`` for a model that cannot be packed.
    """
    builder = resolve(name)
    if PosteriorFamily.parse(posterior_family) is PosteriorFamily.RANK1:
        return _create_rank1(
            name,
            builder,
            members=defaults.RANK1_MEMBERS if members is None else members,
            prior=prior,
            activation=activation,
            factor_init=posterior_mu_init,
            rho_init=posterior_rho_init,
            dropout=dropout,
            shape={
                "num_classes": num_classes,
                "in_channels": in_channels,
                "image_size": image_size,
            },
            refused={
                "bayesian=False": not bayesian,
                "posterior": posterior is not None,
                "estimator": estimator is not UNSET,
                "rho_scale": rho_scale not in (UNSET, 1.0),  # rank-1: softplus(rho)
                "bayesian_layers": bayesian_layers is not None
                and layer_patterns(bayesian_layers) is not None,
                "member_width": member_width != 1.0,
            },
        )
    members = 1 if members is None else members
    default_layers = bayesian_layers is None
    bayesian_layers = model_bayesian_layers(bayesian_layers, members)
    _check_packing(name, builder, members, member_width, bayesian, bayesian_layers)
    if estimator is UNSET and posterior is None:
        estimator = model_estimator(members)
    spec = PosteriorSpec.merge(
        posterior,
        estimator=estimator,
        prior=prior,
        posterior_mu_init=posterior_mu_init,
        posterior_rho_init=posterior_rho_init,
        rho_scale=rho_scale,
    )
    if spec.rho_scale is None:  # neither the keyword nor the spec set it: the model's
        spec = dataclasses.replace(spec, rho_scale=model_rho_scale(members))
    all_bayesian = bayesian and layer_patterns(bayesian_layers) is None
    layers = (
        LayerFactory.bayesian(spec, activation, members=members, width=member_width)
        if all_bayesian
        else LayerFactory.frequentist(activation, members=members, width=member_width)
    ).with_dropout(dropout)
    shape = {"num_classes": num_classes, "in_channels": in_channels, "image_size": image_size}
    model = _call_builder(name, builder, layers, shape, activation, dropout)
    if bayesian and default_layers and bayesian_layers_of(model):
        return model  # a model that builds its own Bayesian layers: its posterior is its own
    if not all_bayesian and bayesian_layers_of(model):
        fix = (
            "build it with bayesian_layers='all' (--bayesian-layers all) to keep its own "
            "Bayesian layers, or make it build plain ones"
            if bayesian
            else "make it build plain ones"
        )
        raise InvalidArgumentError(
            f"model {name!r} has Bayesian layers; a frequentist or partly Bayesian model "
            f"needs plain ones (bayesian_layers={bayesian_layers!r}): {fix}"
        )
    if bayesian and not bayesian_layers_of(model):
        try:
            model = to_bayesian(
                model,
                posterior=spec,
                bayesian_layers=None if default_layers else bayesian_layers,
                inplace=True,
            )
        except InvalidArgumentError as error:  # the same words, naming the model
            raise InvalidArgumentError(f"model {name!r}: {error}") from None
        if not bayesian_layers_of(model):
            raise InvalidArgumentError(
                f"model {name!r} has no layer to make Bayesian; its layers: "
                f"{', '.join(weight_layer_names(model)) or 'none'}"
            )
    return model


def _call_builder(
    name: str,
    builder: ModelBuilder,
    layers: LayerFactory,
    shape: dict[str, int],
    activation: str,
    dropout: float,
) -> nn.Module:
    """The model ``builder`` makes with the options it takes (``shape``: the data's), its
    ``load_state_dict`` taking a state dict's temperature."""
    accepted = accepted_keywords(builder)
    takes_layers = accepted is None or "layers" in accepted
    if dropout and not takes_layers:
        raise InvalidArgumentError(
            f"model {name!r} does not take dropout (its builder has no layers)"
        )
    options = {**shape, "activation": activation, "layers": layers}
    model = call_with_accepted(
        builder,
        options,
        optional=_optional_options(options, takes_layers),
        what=f"model {name!r}",
    )
    if not isinstance(model, nn.Module):
        raise InvalidTypeError(
            f"model {name!r} returned a {type(model).__name__}, not an nn.Module"
        )
    return register_temperature_state(model)  # the root create returns, or rank-1's body


def _create_rank1(
    name: str,
    builder: ModelBuilder,
    *,
    members: int,
    prior: Prior | Unset | None,
    activation: str,
    factor_init: InitPair | Unset | None,
    rho_init: InitPair | Unset,
    dropout: float,
    shape: dict[str, int],
    refused: dict[str, bool],
) -> Rank1Network:
    """``create``'s rank-1 model: the builder's network of rank-1 layers, run as
    ``members`` members by a :class:`Rank1Network`."""
    given = [option for option, is_given in refused.items() if is_given]
    if given:
        raise InvalidArgumentError(
            f"posterior_family='rank1' does not take {', '.join(given)}: every weight layer "
            "is rank-1 and samples its factors per example; set prior, posterior_mu_init "
            "(the factors' means) or posterior_rho_init instead"
        )
    layers = LayerFactory.rank1(
        members,
        prior=None if prior is UNSET else prior,
        factor_init=(
            defaults.RANK1_FACTOR_INIT
            if factor_init is UNSET or factor_init is None
            else factor_init
        ),
        rho_init=defaults.POSTERIOR_RHO_INIT if rho_init is UNSET else rho_init,
        activation=activation,
    ).with_dropout(dropout)
    model = _call_builder(name, builder, layers, shape, activation, dropout)
    if not any(isinstance(m, Rank1Layer) for m in model.modules()):
        raise InvalidArgumentError(
            f"model {name!r} does not build its weight layers from `layers`, so it cannot be "
            "rank-1; use a model that does (lenet, alexnet, 3conv3fc)"
        )
    return Rank1Network(model, members)


def _check_packing(
    name: str,
    builder: ModelBuilder,
    members: int,
    member_width: float,
    bayesian: bool,
    bayesian_layers: str | Sequence[str],
) -> None:
    """Refuse ``members`` / ``member_width`` where they cannot be honoured."""
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise InvalidArgumentError(f"members must be an integer >= 1, got {members!r}")
    if members == 1 and member_width == 1.0:
        return
    if builder not in PACKABLE:
        packable = sorted(n for n in MODELS.names() if MODELS.get(n) in PACKABLE)
        raise InvalidArgumentError(
            f"model {name!r} cannot be packed (members={members}, member_width="
            f"{member_width}); packed members are built for {', '.join(packable)}"
        )
    if members > 1 and bayesian and layer_patterns(bayesian_layers) is not None:
        raise InvalidArgumentError(
            f"members={members} needs every layer Bayesian or none (bayesian_layers='all' "
            f"or bayesian=False), got bayesian_layers={bayesian_layers!r}"
        )


def _optional_options(options: dict[str, object], takes_layers: bool) -> set[str]:
    """The options a model's function may leave out: the image size (a size-agnostic
    model needs none), the layers (a plain model is converted), the activation when the
    layers carry it, and every option left at its default."""
    optional = {"image_size", "layers"}
    if takes_layers:
        optional.add("activation")
    parameters = inspect.signature(create).parameters
    return optional | {
        key
        for key, value in options.items()
        if key in parameters and value == parameters[key].default
    }


def model_bayesian_layers(
    bayesian_layers: str | Sequence[str] | None, members: int
) -> str | Sequence[str]:
    """``bayesian_layers`` as given, or the model's default when None: the fully connected
    layers of one network (:data:`bayescnn.defaults.BAYESIAN_LAYERS`), every layer of
    packed members (a packed network is wholly Bayesian or plain)."""
    if bayesian_layers is not None:
        return bayesian_layers
    return "all" if members > 1 else defaults.BAYESIAN_LAYERS


def model_estimator(members: int) -> str:
    """The estimator a zoo network's Bayesian layers get unless told otherwise:
    ``ESTIMATOR`` for one network, ``MEMBERS_ESTIMATOR`` for packed members
    (:mod:`bayescnn.defaults`)."""
    return defaults.MEMBERS_ESTIMATOR if members > 1 else defaults.ESTIMATOR


def model_rho_scale(members: int) -> float:
    """The rho scale a zoo network gets unless told otherwise: ``MODEL_RHO_SCALE`` for one
    network, ``MEMBERS_RHO_SCALE`` for packed members (:mod:`bayescnn.defaults`)."""
    return defaults.MEMBERS_RHO_SCALE if members > 1 else defaults.MODEL_RHO_SCALE
