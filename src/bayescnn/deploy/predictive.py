"""The Monte-Carlo predictive as one traceable module: weights drawn inside the graph.

For ``S`` posterior samples ``W_s ~ q(W)`` the predictive distribution of a classifier
and the entropy decomposition of its uncertainty (Depeweg et al., 2018) are

    p̄ = (1/S) Σ_s softmax(f(x; W_s)),
    H[p̄] = -Σ_k p̄_k log p̄_k                    (total),
    aleatoric = (1/S) Σ_s H[softmax(f(x; W_s))]    (expected entropy),
    epistemic = H[p̄] - aleatoric                   (mutual information).

The weights are drawn by weight sampling (Bayes by Backprop, Blundell et al., 2015):
``W_s = mu + sigma * eps_s`` with ``eps_s ~ N(0, I)`` drawn by ``torch.randn`` in the
forward (``RandomNormalLike`` in ONNX), one independent draw per sample and layer,
shared by the batch. This is the Monte-Carlo estimate of the predictive of the
posterior q(W) whatever estimator the model was trained with. Flipout, and local
reparameterisation in linear layers, only change how the noise is correlated across the
examples of a batch, not the distribution of one example's output, so the mean and
spread of ``p̄`` agree with :func:`bayescnn.sample_forward`'s. Local reparameterisation
in a convolution is an approximation: it samples every output position independently,
although q(W) shares one weight draw across positions, so its predictive differs
slightly from this one.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from bayescnn.calibration.temperature import (
    TEMPERATURE_BUFFER,
    TemperatureForm,
    divide_by_temperature,
    set_temperature,
    temper_predictive,
    temperature_form,
    temperature_of,
)
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.conv import _BayesConvNd
from bayescnn.nn.dropout import MCDropout
from bayescnn.nn.ensemble import Ensemble
from bayescnn.nn.functional import logits_of
from bayescnn.nn.layer import BayesianLayer
from bayescnn.nn.sampling import is_stochastic, set_posterior_mean

__all__ = ["MonteCarloPredictive", "WeightSampling", "entropy_terms"]


def check_num_samples(num_samples: object) -> int:
    """``num_samples`` if it is an integer >= 1, else an InvalidArgumentError."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise InvalidArgumentError(f"samples must be an integer >= 1, got {num_samples!r}")
    return num_samples


class WeightSampling(nn.Module):
    """A Bayesian layer run on ``S`` fresh weight draws per forward, on a tiled batch.

    The input holds ``S * B`` rows, sample-major (block ``s`` is the batch seen by
    sample ``s``); block ``s`` goes through ``op(x_s, mu_W + sigma_W * eps_s,
    mu_b + sigma_b * eps'_s)`` with ``eps ~ N(0, I)`` drawn by ``torch.randn`` (weights
    first, then biases). Convolutions run as one grouped convolution, other layers
    through their :meth:`~bayescnn.nn.BayesianLayer.functional_op_many`.

    Args:
        layer: the Bayesian layer (kept as the submodule ``layer``).
        num_samples: ``S``.
    """

    def __init__(self, layer: BayesianLayer, num_samples: int) -> None:
        super().__init__()
        self.layer = layer
        self.num_samples = check_num_samples(num_samples)

    def forward(self, x: Tensor) -> Tensor:
        q = self.layer.posterior()
        weights = _draw(q.weight_mu, q.weight_sigma, self.num_samples)
        biases = None
        if q.bias_mu is not None and q.bias_sigma is not None:
            biases = _draw(q.bias_mu, q.bias_sigma, self.num_samples)
        if isinstance(self.layer, _BayesConvNd):
            return _grouped_conv(self.layer, x, weights, biases)
        return self.layer.functional_op_many(x, weights, biases, True)

    def extra_repr(self) -> str:
        return f"num_samples={self.num_samples}"


def _grouped_conv(layer: _BayesConvNd, x: Tensor, weights: Tensor, biases: Tensor | None) -> Tensor:
    """``S`` weight sets on ``S * B`` sample-major rows as one convolution of
    ``S * groups`` groups: sample ``s`` moves to channels ``[s C, (s + 1) C)``.

    The graph's size does not grow with ``S`` (the layers' own CPU path runs ``S``
    convolutions, and ``torch.vmap`` of a convolution fixes the batch size when exported).
    """
    num_samples = weights.shape[0]
    rows = x.shape[0] // num_samples
    x = x.reshape(num_samples, rows, *x.shape[1:]).transpose(0, 1)
    x = x.reshape(rows, num_samples * layer.in_channels, *x.shape[3:])
    stacked_w = weights.reshape(num_samples * layer.out_channels, *weights.shape[2:])
    stacked_b = None if biases is None else biases.reshape(-1)
    out = layer._conv(x, stacked_w, stacked_b, num_samples * layer.groups)
    out = out.reshape(rows, num_samples, layer.out_channels, *out.shape[2:]).transpose(0, 1)
    return out.reshape(num_samples * rows, *out.shape[2:])


def _draw(mu: Tensor, sigma: Tensor, num_samples: int) -> Tensor:
    """``S`` stacked draws mu + sigma * eps, eps ~ N(0, I) from ``torch.randn`` (exportable)."""
    eps = torch.randn((num_samples, *mu.shape), device=mu.device, dtype=mu.dtype)
    return mu + sigma * eps


def entropy_terms(logits: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(p̄, aleatoric, epistemic)`` of logit samples ``(S, N, K)``, in nats.

    Written with ops every exporter knows (``log_softmax``, ``exp``, ``log``): the same
    values as :func:`bayescnn.uncertainty.entropy_decomposition` of the softmax, with
    ``0 log 0 = 0`` and the mutual information clamped at 0 against rounding.
    """
    log_probs = torch.log_softmax(logits, dim=-1)
    probs = log_probs.exp()
    mean_probs = probs.mean(dim=0)
    tiny = torch.finfo(mean_probs.dtype).tiny
    total = -(mean_probs * mean_probs.clamp_min(tiny).log()).sum(dim=-1)
    aleatoric = -(probs * log_probs).sum(dim=-1).mean(dim=0)
    epistemic = (total - aleatoric).clamp_min(0.0)
    return mean_probs, aleatoric, epistemic


class _DropoutMask(nn.Module):
    """Inverted dropout ``x * m / (1 - p)``, ``m = [u >= p]``, ``u ~ U(0, 1)`` per element.

    :class:`~bayescnn.nn.MCDropout` as explicit random ops: onnxruntime's graph
    optimiser removes ONNX ``Dropout`` nodes even in training mode.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        keep = torch.rand_like(x) >= self.p
        return x * keep.to(x.dtype) / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _SampledNetwork(nn.Module):
    """A copy of ``model`` that returns ``S`` logit samples ``(S, N, K)`` per forward.

    Every Bayesian layer is wrapped in :class:`WeightSampling` and every
    :class:`~bayescnn.nn.MCDropout` becomes a random mask per element of the ``S * N``
    rows; any other sampling module samples as it does. A network that does not sample
    runs once (``S = 1``).
    """

    def __init__(self, model: nn.Module, num_samples: int) -> None:
        super().__init__()
        self.num_samples = num_samples if is_stochastic(model) else 1
        if isinstance(model, BayesianLayer):
            self.model: nn.Module = WeightSampling(copy.deepcopy(model), self.num_samples)
            return
        self.model = set_posterior_mean(copy.deepcopy(model), False)
        for module in list(self.model.modules()):
            for name, child in list(module.named_children()):
                if isinstance(child, BayesianLayer):
                    setattr(module, name, WeightSampling(child, self.num_samples))
                elif isinstance(child, MCDropout):
                    setattr(module, name, _DropoutMask(child.p))

    def forward(self, x: Tensor) -> Tensor:
        batch = x.shape[0]
        if self.num_samples > 1:
            x = x.unsqueeze(0).expand(self.num_samples, *x.shape).reshape(-1, *x.shape[1:])
        logits = logits_of(self.model(x))
        if logits.dim() != 2:
            raise InvalidArgumentError(
                f"the Monte-Carlo predictive needs a classifier's logits (N, K), got an "
                f"output of shape {tuple(logits.shape)}"
            )
        return logits.reshape(self.num_samples, batch, logits.shape[1])

    def extra_repr(self) -> str:
        return f"num_samples={self.num_samples}"


class MonteCarloPredictive(nn.Module):
    """``x -> (p̄, aleatoric, epistemic)`` with ``S`` weight draws inside the forward.

    A copy of ``model`` in which every Bayesian layer is wrapped in
    :class:`WeightSampling`. The batch ``x`` of ``N`` examples is tiled ``S`` times
    (sample-major), run once, and reduced by the entropy decomposition (module
    docstring). Every other module sees ``S * N`` rows: run it in eval mode (BatchNorm
    with its running statistics), as the exporters do. MC dropout draws a mask per row.
    As in :func:`bayescnn.sample_forward`, an :class:`~bayescnn.nn.Ensemble` contributes
    ``S`` samples of each member that samples and one of each that does not.

    Args:
        model: a Bayesian classifier returning logits ``(N, K)`` (or ``(logits, ...)``);
            its temperature (:func:`bayescnn.calibrate`), if any, divides every sample's
            logits (per-sample form) or gives ``mean_probs = softmax(log p̄ / T)`` with
            the samples' own aleatoric and epistemic parts (pooled form).
        num_samples: ``S`` >= 1.

    Returns (forward):
        ``mean_probs (N, K)``, ``aleatoric (N,)``, ``epistemic (N,)``; ``aleatoric +
        epistemic = H[mean_probs]`` (of the untempered ``p̄`` for a pooled temperature).
    """

    def __init__(self, model: nn.Module, num_samples: int) -> None:
        super().__init__()
        self.num_samples = check_num_samples(num_samples)
        members = list(model.members) if isinstance(model, Ensemble) else [model]
        self.networks = nn.ModuleList(_SampledNetwork(m, self.num_samples) for m in members)
        # the form is fixed here, so that tracing never reads a buffer to branch on it
        self.temperature_form = temperature_form(model)
        set_temperature(  # a calibrated model's T and form, in the graph
            self, temperature_of(model), form=self.temperature_form or TemperatureForm.POOLED
        )

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        logits = [network(x) for network in self.networks]
        joined = logits[0] if len(logits) == 1 else torch.cat(logits)
        if self.temperature_form is TemperatureForm.PER_SAMPLE:
            joined = divide_by_temperature(joined, self)
        mean_probs, aleatoric, epistemic = entropy_terms(joined)
        if self.temperature_form is TemperatureForm.POOLED:
            temperature = self._buffers[TEMPERATURE_BUFFER]
            assert temperature is not None  # set_temperature registered it
            mean_probs = temper_predictive(mean_probs, temperature)
        return mean_probs, aleatoric, epistemic

    def extra_repr(self) -> str:
        return f"num_samples={self.num_samples}"
