"""Decomposition of predictive uncertainty into aleatoric and epistemic parts.

All functions take Monte-Carlo samples of a Bayesian classifier's output, stacked
along the first dimension: ``probs`` or ``logits`` of shape ``(S, N, K)`` for ``S``
posterior samples, ``N`` examples and ``K`` classes. Results are per example.

Two decompositions are provided:

* the variance (covariance) decomposition of Kwon et al. (2018), "Uncertainty
  quantification using Bayesian neural networks in classification", eq. 4, in its
  softmax form and in the softplus-normalised form of Shridhar et al. (2018), "Uncertainty
  Estimations by Softplus normalization in Bayesian Convolutional Neural Networks with
  Variational Inference", eq. 15;
* the entropy decomposition (predictive entropy = expected entropy + mutual
  information) of Depeweg et al. (2018), "Decomposition of Uncertainty in Bayesian Deep
  Learning for Efficient and Risk-sensitive Learning".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.metrics._validation import check_probabilities

__all__ = [
    "Decomposition",
    "EntropyDecomposition",
    "covariance_decomposition",
    "entropy_decomposition",
    "normalized_decomposition",
    "predictive_probs",
    "softmax_decomposition",
]


@dataclass(frozen=True, eq=False)
class Decomposition:
    """Covariance decomposition of the predictive uncertainty (Kwon et al., 2018, eq. 4).

    With ``p_t`` the probability vector of sample ``t`` and ``p̄ = mean_t p_t``:
    aleatoric ``= mean_t(diag(p_t) - p_t p_tᵀ)`` and epistemic
    ``= mean_t((p_t - p̄)(p_t - p̄)ᵀ)``. Their sum is ``diag(p̄) - p̄ p̄ᵀ``, the covariance
    of the one-hot label under the predictive distribution.

    Attributes:
        predictive: Predictive probabilities ``p̄``, shape ``(N, K)``.
        aleatoric: Diagonal of the aleatoric matrix, ``mean_t p_t (1 - p_t)``, ``(N, K)``.
        epistemic: Diagonal of the epistemic matrix, ``mean_t (p_t - p̄)²``, ``(N, K)``.
        aleatoric_trace: Trace of the aleatoric matrix, ``1 - mean_t ‖p_t‖²``, ``(N,)``.
        epistemic_trace: Trace of the epistemic matrix, ``mean_t ‖p_t - p̄‖²``, ``(N,)``.
        aleatoric_full: Full aleatoric matrices ``(N, K, K)`` if requested, else ``None``.
        epistemic_full: Full epistemic matrices ``(N, K, K)`` if requested, else ``None``.
    """

    predictive: Tensor
    aleatoric: Tensor
    epistemic: Tensor
    aleatoric_trace: Tensor
    epistemic_trace: Tensor
    aleatoric_full: Tensor | None = None
    epistemic_full: Tensor | None = None


@dataclass(frozen=True, eq=False)
class EntropyDecomposition:
    """Entropy decomposition of the predictive uncertainty (Depeweg et al., 2018), in nats.

    ``H[p̄] = mean_t H[p_t] + I``, where ``I`` is the mutual information between the
    prediction and the model parameters.

    Attributes:
        predictive: Predictive probabilities ``p̄ = mean_t p_t``, shape ``(N, K)``.
        total: Predictive entropy ``H[p̄] = -Σ_k p̄_k log p̄_k``, shape ``(N,)``.
        aleatoric: Expected entropy ``mean_t H[p_t]``, shape ``(N,)``.
        epistemic: Mutual information ``total - aleatoric``, clamped at 0 against
            rounding (so the identity holds up to floating-point error), shape ``(N,)``.
    """

    predictive: Tensor
    total: Tensor
    aleatoric: Tensor
    epistemic: Tensor


def check_samples(samples: Tensor, name: str) -> None:
    """Raise if ``samples`` is not a non-empty floating tensor of shape ``(S, N, K)``.

    Raises:
        InvalidTypeError: If it is not a floating-point tensor.
        InvalidArgumentError: If its shape is not ``(S, N, K)`` or it is empty.
    """
    if not isinstance(samples, Tensor):
        raise InvalidTypeError(f"{name} must be a torch.Tensor, got {type(samples).__name__}")
    if samples.ndim != 3:
        raise InvalidArgumentError(f"{name} must have shape (S, N, K), got {tuple(samples.shape)}")
    if samples.numel() == 0:
        raise InvalidArgumentError(f"{name} must be non-empty, got shape {tuple(samples.shape)}")
    if not samples.is_floating_point():
        raise InvalidTypeError(f"{name} must be a floating-point tensor, got {samples.dtype}")


def check_probability_samples(probs: Tensor, name: str = "probs") -> None:
    """Raise unless ``probs`` is ``(S, N, K)`` samples whose every ``p_t(x_n)`` is a
    probability vector (:func:`bayescnn.metrics._validation.check_probabilities`).

    Raises:
        InvalidTypeError: If it is not a floating-point tensor.
        InvalidArgumentError: If its shape is not ``(S, N, K)``, it is empty, or a vector
            is not finite, has an entry outside ``[0, 1]`` or does not sum to 1.
    """
    check_samples(probs, name)
    check_probabilities(probs, name)


def predictive_probs(probs: Tensor) -> Tensor:
    """Monte-Carlo predictive distribution ``p̄ = (1/S) Σ_t p_t``.

    Args:
        probs: Probability samples, shape ``(S, N, K)``.

    Returns:
        Predictive probabilities, shape ``(N, K)``.

    Raises:
        InvalidArgumentError: If a sample is not a probability vector.
    """
    check_probability_samples(probs)
    return probs.mean(dim=0)


def covariance_decomposition(probs: Tensor, *, full: bool = False) -> Decomposition:
    """Aleatoric/epistemic covariance decomposition of probability samples.

    Kwon et al. (2018), eq. 4: aleatoric ``= mean_t(diag(p_t) - p_t p_tᵀ)`` and
    epistemic ``= mean_t((p_t - p̄)(p_t - p̄)ᵀ)``. The samples ``p_t`` may come from any
    normalisation (softmax, softplus, an ensemble, ...); each must lie on the simplex.

    Args:
        probs: Probability samples, shape ``(S, N, K)``.
        full: Also return the full ``(N, K, K)`` matrices.

    Returns:
        The decomposition; see :class:`Decomposition`.

    Raises:
        InvalidArgumentError: If a sample is not a probability vector (NaN, negative or
            off-simplex probabilities would give NaN or negative "aleatoric" values).
    """
    check_probability_samples(probs)
    return _covariance(probs, full=full)


def _covariance(probs: Tensor, *, full: bool) -> Decomposition:
    """:func:`covariance_decomposition` of samples known to be probability vectors."""
    p_bar = probs.mean(dim=0)
    centred = probs - p_bar
    aleatoric = (probs * (1.0 - probs)).mean(dim=0)
    epistemic = centred.square().mean(dim=0)
    aleatoric_full: Tensor | None = None
    epistemic_full: Tensor | None = None
    if full:
        n_samples = probs.shape[0]
        second_moment = torch.einsum("snk,snl->nkl", probs, probs) / n_samples
        aleatoric_full = torch.diag_embed(p_bar) - second_moment
        epistemic_full = torch.einsum("snk,snl->nkl", centred, centred) / n_samples
    return Decomposition(
        predictive=p_bar,
        aleatoric=aleatoric,
        epistemic=epistemic,
        aleatoric_trace=aleatoric.sum(dim=-1),
        epistemic_trace=epistemic.sum(dim=-1),
        aleatoric_full=aleatoric_full,
        epistemic_full=epistemic_full,
    )


def softmax_decomposition(logits: Tensor, *, full: bool = False) -> Decomposition:
    """Covariance decomposition with softmax probabilities (Kwon et al., 2018, eq. 4).

    ``p_t = softmax(logits_t)``, then :func:`covariance_decomposition`.

    Args:
        logits: Logit samples, shape ``(S, N, K)``.
        full: Also return the full ``(N, K, K)`` matrices.

    Returns:
        The decomposition; see :class:`Decomposition`.

    Raises:
        InvalidArgumentError: If a logit is NaN or ``+inf`` (no probability vector).
    """
    check_samples(logits, "logits")
    probs = torch.softmax(logits, dim=-1)
    check_probabilities(probs, "softmax(logits)")  # fails only for NaN or +inf logits
    return _covariance(probs, full=full)


def _softplus_normalize(logits: Tensor) -> Tensor:
    """``softplus(x_k) / Σ_j softplus(x_j)``, computed as a softmax of ``log softplus(x)``.

    For very negative ``x``, ``softplus(x)`` underflows while ``log softplus(x) ≈ x``
    (relative error ``e^x / 2``), so the log is replaced by ``x`` there; this avoids
    ``0 / 0`` when every class underflows.
    """
    softplus = F.softplus(logits)
    tiny = torch.finfo(logits.dtype).tiny
    log_softplus = torch.where(softplus > tiny, softplus.clamp_min(tiny).log(), logits)
    return torch.softmax(log_softplus, dim=-1)


def normalized_decomposition(logits: Tensor, *, full: bool = False) -> Decomposition:
    """Covariance decomposition with softplus-normalised probabilities.

    Shridhar et al. (2018), eq. 15: ``p_t = softplus(logits_t) / Σ_k softplus(logits_t)_k``,
    then :func:`covariance_decomposition`.

    Args:
        logits: Logit samples, shape ``(S, N, K)``.
        full: Also return the full ``(N, K, K)`` matrices.

    Returns:
        The decomposition; see :class:`Decomposition`.

    Raises:
        InvalidArgumentError: If a logit is NaN or ``+inf`` (no probability vector).
    """
    check_samples(logits, "logits")
    probs = _softplus_normalize(logits)
    check_probabilities(probs, "normalised softplus(logits)")  # fails only for NaN or +inf
    return _covariance(probs, full=full)


def _entropy(probs: Tensor) -> Tensor:
    """Shannon entropy ``-Σ_k p_k log p_k`` over the last dimension, with ``0 log 0 = 0``."""
    entropy: Tensor = -torch.special.xlogy(probs, probs).sum(dim=-1)  # xlogy is untyped
    return entropy


def entropy_decomposition(probs: Tensor) -> EntropyDecomposition:
    """Entropy decomposition into expected entropy and mutual information.

    Depeweg et al. (2018): total ``= H[p̄]``, aleatoric ``= mean_t H[p_t]``, epistemic
    ``= H[p̄] - mean_t H[p_t]`` (the mutual information), all in nats.

    Args:
        probs: Probability samples, shape ``(S, N, K)``.

    Returns:
        The decomposition; see :class:`EntropyDecomposition`.

    Raises:
        InvalidArgumentError: If a sample is not a probability vector.
    """
    check_probability_samples(probs)
    p_bar = probs.mean(dim=0)
    total = _entropy(p_bar)
    aleatoric = _entropy(probs).mean(dim=0)
    epistemic = (total - aleatoric).clamp_min(0.0)
    return EntropyDecomposition(
        predictive=p_bar, total=total, aleatoric=aleatoric, epistemic=epistemic
    )
