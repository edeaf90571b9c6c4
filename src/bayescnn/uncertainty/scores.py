"""Per-example out-of-distribution (OOD) scores, in a registry users extend.

Convention: a score is *higher for examples more likely to be out of distribution*, so it
can be handed to :func:`bayescnn.metrics.ood_detection` as is. Each score is a function
of the Monte-Carlo samples of one batch, ``(S, N, K)`` probabilities or logits, returning
``(N,)``. Built-in scores:

==================  ======  ================================================================
name                needs   score
==================  ======  ================================================================
``max_prob``        probs   ``1 - max_k p̄_k`` (Hendrycks & Gimpel, 2017)
``entropy``         probs   predictive entropy ``H[p̄]``
``mutual_info``     probs   ``H[p̄] - mean_t H[p_t]`` (Depeweg et al., 2018)
``aleatoric_trace`` probs   ``1 - mean_t ‖p_t‖²`` (Kwon et al., 2018, eq. 4)
``epistemic_trace`` probs   ``mean_t ‖p_t - p̄‖²`` (Kwon et al., 2018, eq. 4)
``energy``          logits  free energy ``-log Σ_k exp f̄_k`` (Liu et al., 2020)
``max_logit``       logits  ``-max_k f̄_k`` (Hendrycks et al., 2022)
==================  ======  ================================================================

with ``p_t = softmax(f_t)`` the probabilities of sample ``t``, ``p̄ = mean_t p_t`` and
``f̄ = mean_t f_t`` the mean logits. Scores that need logits are not computed from
probabilities alone: softmax forgets each example's logit offset, which they depend on.

Add a score from your own code with :func:`register_ood_score`::

    @bayescnn.uncertainty.register_ood_score("margin")
    def margin(probs):  # (S, N, K) -> (N,)
        top2 = probs.mean(dim=0).topk(2, dim=-1).values
        return top2[:, 1] - top2[:, 0]  # a small gap between the two best is suspicious
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import TypeVar

import torch
from torch import Tensor

from bayescnn.calibration.temperature import temper_predictive
from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.registry import Registry
from bayescnn.uncertainty import decomposition
from bayescnn.uncertainty.decomposition import Decomposition, EntropyDecomposition

__all__ = [
    "OOD_SCORES",
    "MonteCarloSamples",
    "OODScore",
    "ScoreInput",
    "list_ood_scores",
    "ood_scores",
    "register_ood_score",
]

ScoreFunction = TypeVar("ScoreFunction", bound=Callable[[Tensor], Tensor])


class ScoreInput(StrEnum):
    """What a score is a function of: probability samples or logit samples ``(S, N, K)``."""

    PROBS = "probs"
    LOGITS = "logits"


class MonteCarloSamples:
    """The Monte-Carlo samples of one batch, and what derives from them, each computed once.

    Give exactly one of ``probs`` or ``logits`` (as in ``torch.distributions.Categorical``).
    Every derived quantity (the softmax, the predictive distribution, the entropy and
    covariance decompositions) is computed on first use and then shared, so several
    scores and decompositions of the same batch cost one computation each. Given
    probabilities are checked here to be probability vectors (finite, in ``[0, 1]``,
    summing to 1), so that no score is computed from bad numbers.

    Args:
        probs: Probability samples ``p_t``, shape ``(S, N, K)``.
        logits: Logit samples ``f_t``, shape ``(S, N, K)``; then ``p_t = softmax(f_t)``.
        pooled_temperature: A pooled-form temperature ``T``
            (:mod:`bayescnn.calibration.temperature`): the predictive is then
            ``softmax(log p̄ / T)`` and what reads it (``max_prob``) is calibrated, while
            the decompositions and the other scores stay the samples' own.

    Raises:
        InvalidArgumentError: If not exactly one of ``probs`` and ``logits`` is given,
            either is not ``(S, N, K)``, or a given probability vector is not one.
    """

    def __init__(
        self,
        *,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        pooled_temperature: Tensor | float | None = None,
    ) -> None:
        if (probs is None) == (logits is None):
            raise InvalidArgumentError("give exactly one of probs or logits")
        if logits is not None:
            decomposition.check_samples(logits, "logits")
        elif probs is not None:  # before any score reads them, decomposition or not
            decomposition.check_probability_samples(probs, "probs")
        self._logits = logits
        self._given_probs = probs
        self._pooled_temperature = pooled_temperature

    @property
    def logits(self) -> Tensor | None:
        """The logit samples ``(S, N, K)``, or ``None`` if only probabilities were given."""
        return self._logits

    @property
    def has_logits(self) -> bool:
        """Whether logits were given, so that every score can be computed."""
        return self._logits is not None

    @property
    def num_examples(self) -> int:
        """The number of examples ``N``."""
        given = self._given_probs if self._logits is None else self._logits
        assert given is not None  # __init__ takes exactly one of probs and logits
        return given.shape[1]

    @cached_property
    def probs(self) -> Tensor:
        """Probability samples ``p_t = softmax(f_t)`` (or as given), shape ``(S, N, K)``."""
        if self._logits is None:
            assert self._given_probs is not None  # __init__ takes exactly one of the two
            return self._given_probs
        return torch.softmax(self._logits, dim=-1)

    @cached_property
    def predictive(self) -> Tensor:
        """Predictive distribution ``p̄ = mean_t p_t`` (``softmax(log p̄ / T)`` with a
        pooled temperature), shape ``(N, K)``."""
        mean = self.probs.mean(dim=0)
        if self._pooled_temperature is None:
            return mean
        return temper_predictive(mean, self._pooled_temperature)

    @cached_property
    def mean_logits(self) -> Tensor:
        """Mean logits ``f̄ = mean_t f_t``, shape ``(N, K)``; needs logits."""
        return self._require_logits("the mean logits").mean(dim=0)

    @cached_property
    def entropy(self) -> EntropyDecomposition:
        """:func:`~bayescnn.uncertainty.entropy_decomposition` of :attr:`probs`."""
        return decomposition.entropy_decomposition(self.probs)

    @cached_property
    def covariance(self) -> Decomposition:
        """:func:`~bayescnn.uncertainty.covariance_decomposition` of :attr:`probs`.

        For logits it is the softmax decomposition (Kwon et al., 2018, eq. 4).
        """
        return decomposition.covariance_decomposition(self.probs)

    @cached_property
    def normalized(self) -> Decomposition:
        """:func:`~bayescnn.uncertainty.normalized_decomposition` of :attr:`logits`."""
        return decomposition.normalized_decomposition(
            self._require_logits("the softplus-normalised decomposition")
        )

    def ood_scores(self, names: Sequence[str] | None = None) -> dict[str, Tensor]:
        """The named OOD scores (default: every registered score these samples can give).

        Args:
            names: Registered score names, in the order wanted in the result.

        Returns:
            A dict from score name to a tensor of shape ``(N,)``.

        Raises:
            UnknownNameError: If a name is not registered.
            InvalidArgumentError: If a score needs logits and only probabilities were given.
        """
        if names is None:
            names = list_ood_scores() if self.has_logits else list_ood_scores("probs")
        entries = [OOD_SCORES.get(name) for name in names]
        return {entry.name: entry(self) for entry in entries}

    def _require_logits(self, what: str) -> Tensor:
        if self._logits is None:
            raise InvalidArgumentError(f"{what} needs logits, but only probabilities were given")
        return self._logits


@dataclass(frozen=True)
class OODScore:
    """A registered OOD score: what it needs and how it is computed.

    Attributes:
        name: The name it is registered under (lower case).
        needs: :attr:`ScoreInput.PROBS` or :attr:`ScoreInput.LOGITS`.
        compute: Maps the batch's :class:`MonteCarloSamples` to scores ``(N,)``.
    """

    name: str
    needs: ScoreInput
    compute: Callable[[MonteCarloSamples], Tensor]

    def __call__(self, samples: MonteCarloSamples) -> Tensor:
        """The score of every example of ``samples``, checked to have shape ``(N,)``."""
        name = self.name
        if self.needs is ScoreInput.LOGITS and not samples.has_logits:
            raise InvalidArgumentError(
                f"the OOD score {name!r} needs logits, but only probabilities were given"
            )
        values = self.compute(samples)
        if not isinstance(values, Tensor):
            raise InvalidTypeError(
                f"the OOD score {name!r} must return a torch.Tensor, got {type(values).__name__}"
            )
        if values.shape != (samples.num_examples,):
            raise InvalidArgumentError(
                f"the OOD score {name!r} must return shape ({samples.num_examples},), one value "
                f"per example, got {tuple(values.shape)}"
            )
        return values


OOD_SCORES: Registry[OODScore] = Registry("OOD score")
"""Every OOD score by name, in registration order (the built-ins first)."""

_RESERVED_NAMES = frozenset({"all", "none"})


def register_ood_score(
    name: str, *, needs: ScoreInput | str = "probs", replace: bool = False
) -> Callable[[ScoreFunction], ScoreFunction]:
    """Decorator that registers a function of the ``(S, N, K)`` samples as an OOD score.

    The function receives the probability samples (``needs="probs"``) or the logit
    samples (``needs="logits"``) of a batch and returns one score per example, shape
    ``(N,)``, higher for examples more likely to be out of distribution. It is returned
    unchanged. A score that needs logits is skipped where only probabilities exist.

    Args:
        name: The score's name (case-insensitive), not ``'all'`` or ``'none'``.
        needs: ``'probs'`` or ``'logits'``.
        replace: Replace a score already registered under ``name``.

    Raises:
        InvalidArgumentError: If ``name`` is taken (and ``replace`` is false) or reserved,
            or ``needs`` is neither ``'probs'`` nor ``'logits'``.
    """
    wanted = _score_input(needs)
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(f"an OOD score name must be a non-empty string, got {name!r}")
    key = name.strip().lower()
    if key in _RESERVED_NAMES:
        raise InvalidArgumentError(f"{name!r} is reserved and cannot name an OOD score")

    def decorate(function: ScoreFunction) -> ScoreFunction:
        source = wanted.value  # the attribute of MonteCarloSamples: probs or logits
        entry = OODScore(key, wanted, lambda samples: function(getattr(samples, source)))
        OOD_SCORES.add(key, entry, replace=replace)
        return function

    return decorate


def list_ood_scores(needs: ScoreInput | str | None = None) -> list[str]:
    """Names of the registered OOD scores, in registration order.

    Args:
        needs: Only the scores that need ``'probs'``, or only those that need
            ``'logits'``; default all.
    """
    if needs is None:
        return OOD_SCORES.names()
    wanted = _score_input(needs)
    return [name for name in OOD_SCORES if OOD_SCORES.get(name).needs is wanted]


def ood_scores(probs: Tensor | None = None, logits: Tensor | None = None) -> dict[str, Tensor]:
    """Every registered OOD score that the given samples allow (higher = more OOD).

    Give exactly one of ``probs`` or ``logits`` (as in ``torch.distributions.Categorical``).
    From ``probs`` only the scores that need probabilities are computed; from ``logits``
    all of them, with ``p_t = softmax(f_t)``. See the module docstring for the built-ins.

    Args:
        probs: Probability samples, shape ``(S, N, K)``.
        logits: Logit samples, shape ``(S, N, K)``.

    Returns:
        A dict from score name to a tensor of shape ``(N,)``, in registration order.
    """
    return MonteCarloSamples(probs=probs, logits=logits).ood_scores()


def _score_input(needs: ScoreInput | str) -> ScoreInput:
    try:
        return ScoreInput(needs)
    except ValueError:
        raise InvalidArgumentError(f"needs must be 'probs' or 'logits', got {needs!r}") from None


def _builtin(name: str, needs: ScoreInput, compute: Callable[[MonteCarloSamples], Tensor]) -> None:
    OOD_SCORES.add(name, OODScore(name, needs, compute))


_builtin("max_prob", ScoreInput.PROBS, lambda s: 1.0 - s.predictive.max(dim=-1).values)
_builtin("entropy", ScoreInput.PROBS, lambda s: s.entropy.total)
_builtin("mutual_info", ScoreInput.PROBS, lambda s: s.entropy.epistemic)
_builtin("aleatoric_trace", ScoreInput.PROBS, lambda s: s.covariance.aleatoric_trace)
_builtin("epistemic_trace", ScoreInput.PROBS, lambda s: s.covariance.epistemic_trace)
# Energy (Liu et al., 2020, "Energy-based Out-of-distribution Detection"):
# E(x) = -T log Σ_k exp(f̄_k / T) with T = 1, of the logits averaged over samples. Liu et
# al. threshold the negative energy -E, higher in distribution; the score is E itself.
_builtin("energy", ScoreInput.LOGITS, lambda s: -torch.logsumexp(s.mean_logits, dim=-1))
# MaxLogit (Hendrycks et al., 2022, "Scaling Out-of-Distribution Detection for Real-World
# Settings"): the largest mean logit, negated so that higher means more OOD.
_builtin("max_logit", ScoreInput.LOGITS, lambda s: -s.mean_logits.max(dim=-1).values)
