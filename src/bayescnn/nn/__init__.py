"""Bayesian layers (drop-in for ``torch.nn``), their estimators and sampling modes, the
posterior's options (:class:`PosteriorSpec`), and :func:`to_bayesian`, which converts any
module tree.

What reads a trained posterior (statistics, pruning) is in :mod:`bayescnn.analysis`; the
temperature kept with a model is in :mod:`bayescnn.calibration`.
"""

from bayescnn.deprecation import module_getattr
from bayescnn.nn import posterior_stats as posterior_stats  # deprecated module, for its path
from bayescnn.nn import pruning as pruning  # deprecated module, for its path
from bayescnn.nn import temperature as temperature  # deprecated module, for its path
from bayescnn.nn.conv import Conv1d, Conv2d, Conv3d
from bayescnn.nn.convert import to_bayesian
from bayescnn.nn.description import describe
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
from bayescnn.nn.members import default_samples, member_samples, members_of
from bayescnn.nn.packed import (
    PackedConv2d,
    PackedEnsemble,
    PackedLinear,
    PlainPackedLinear,
    packed_conv2d,
    packed_memory_format,
)
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

__all__ = [
    "BayesianLayer",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "Ensemble",
    "Estimator",
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
    "bayesian_layers",
    "default_samples",
    "describe",
    "frozen_eval_mode",
    "inverse_softplus",
    "is_stochastic",
    "kl_divergence",
    "logits_of",
    "member_samples",
    "members_of",
    "module_device",
    "monte_carlo",
    "packed_conv2d",
    "packed_memory_format",
    "posterior_mean",
    "sample_forward",
    "set_posterior_mean",
    "to_bayesian",
]

__getattr__ = module_getattr(
    __name__,
    {
        **{
            name: f"bayescnn.analysis.{name}"
            for name in (
                "LayerStatistics",
                "layer_statistics",
                "prune_by_magnitude",
                "prune_by_snr",
                "signal_to_noise",
            )
        },
        **{
            name: f"bayescnn.calibration.{name}"
            for name in (
                "TemperatureForm",
                "load_temperature",
                "register_temperature_state",
                "set_temperature",
                "temperature_form",
                "temperature_of",
            )
        },
    },
    note="bayescnn.nn holds the layers only",
)
