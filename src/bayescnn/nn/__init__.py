"""Bayesian layers (drop-in for ``torch.nn``), their estimators and sampling modes, and
:func:`to_bayesian`, which converts any module tree."""

from bayescnn.nn.conv import Conv1d, Conv2d, Conv3d
from bayescnn.nn.convert import to_bayesian
from bayescnn.nn.describe import describe
from bayescnn.nn.dropout import MCDropout
from bayescnn.nn.ensemble import Ensemble
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.functional import (
    bayesian_layers,
    kl_divergence,
    logits_of,
    module_device,
    sample_forward,
)
from bayescnn.nn.layer import BayesianLayer, inverse_softplus
from bayescnn.nn.linear import Linear
from bayescnn.nn.members import members_of
from bayescnn.nn.packed import (
    PackedConv2d,
    PackedEnsemble,
    PackedLinear,
    PlainPackedLinear,
    packed_conv2d,
)
from bayescnn.nn.posterior_stats import LayerStatistics, layer_statistics, signal_to_noise
from bayescnn.nn.pruning import prune_by_magnitude, prune_by_snr
from bayescnn.nn.rank1 import (
    Rank1Conv1d,
    Rank1Conv2d,
    Rank1Conv3d,
    Rank1Layer,
    Rank1Linear,
    Rank1Network,
)
from bayescnn.nn.sampling import (
    frozen_eval_mode,
    is_stochastic,
    monte_carlo,
    posterior_mean,
    set_posterior_mean,
)
from bayescnn.nn.spec import PosteriorSpec
from bayescnn.nn.temperature import (
    TemperatureForm,
    load_temperature,
    register_temperature_state,
    set_temperature,
    temperature_form,
    temperature_of,
)

__all__ = [
    "BayesianLayer",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "Ensemble",
    "Estimator",
    "LayerStatistics",
    "Linear",
    "MCDropout",
    "PackedConv2d",
    "PackedEnsemble",
    "PackedLinear",
    "PlainPackedLinear",
    "PosteriorSpec",
    "Rank1Conv1d",
    "Rank1Conv2d",
    "Rank1Conv3d",
    "Rank1Layer",
    "Rank1Linear",
    "Rank1Network",
    "TemperatureForm",
    "bayesian_layers",
    "describe",
    "frozen_eval_mode",
    "inverse_softplus",
    "is_stochastic",
    "kl_divergence",
    "layer_statistics",
    "load_temperature",
    "logits_of",
    "members_of",
    "module_device",
    "monte_carlo",
    "packed_conv2d",
    "posterior_mean",
    "prune_by_magnitude",
    "prune_by_snr",
    "register_temperature_state",
    "sample_forward",
    "set_posterior_mean",
    "set_temperature",
    "signal_to_noise",
    "temperature_form",
    "temperature_of",
    "to_bayesian",
]
