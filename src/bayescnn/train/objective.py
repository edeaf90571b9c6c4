"""The negative ELBO per training example, usable alone or by :func:`bayescnn.fit`.

    loss = NLL term + beta * KL(q || p) / N_train

Summed with beta = 1 over the N_train / B minibatches of an epoch this is the negative
ELBO of the whole training set divided by N_train (Blundell et al. 2015, eq. 8), so its
gradient scale does not depend on the batch size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from bayescnn.deprecation import module_getattr, renamed_attribute, renamed_keyword
from bayescnn.errors import InvalidArgumentError, InvalidTypeError, ModelInputError
from bayescnn.nn import kl_divergence, sample_forward
from bayescnn.registry import Registry
from bayescnn.train.beta import KLWeight

__all__ = ["ELBO", "LIKELIHOODS", "ELBOTerms", "Progress", "expected_nll", "predictive_nll"]


def expected_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-(1/S) sum_s log p(y | x, w_s), averaged over the batch: the ELBO's likelihood term.

    An unbiased Monte-Carlo estimate of E_q[-log p(y | x, w)] (Blundell et al. 2015).

    Args:
        logits: (S, B, K) logits of S posterior samples.
        labels: (B,) class indices.
    """
    samples, batch = logits.shape[:2]
    return F.cross_entropy(logits.reshape(samples * batch, -1), labels.repeat(samples))


def predictive_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-log (1/S) sum_s p(y | x, w_s), averaged over the batch: the ELBO's ``logmeanexp``
    likelihood term (the original's).

    The log of the Monte-Carlo predictive (log-mean-exp). By Jensen it is <= the
    expected NLL, equal for S = 1; it rewards samples that disagree, so with S > 1 it
    is not the ELBO but a tighter, biased bound on the predictive likelihood.
    """
    log_probs = F.log_softmax(logits, dim=-1)
    picked = log_probs.gather(-1, labels.view(1, -1, 1).expand(logits.shape[0], -1, 1)).squeeze(-1)
    return -(torch.logsumexp(picked, dim=0) - math.log(logits.shape[0])).mean()


LIKELIHOODS: Registry[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = Registry("likelihood")
"""The ELBO's likelihood terms by name: ``mean`` (the ELBO's expected NLL) and
``logmeanexp`` (the original's predictive NLL)."""
LIKELIHOODS.add("mean", expected_nll)
LIKELIHOODS.add("logmeanexp", predictive_nll)


__getattr__ = module_getattr(
    __name__,
    {"OBJECTIVES": "bayescnn.train.objective.LIKELIHOODS"},
    note="the objective is the ELBO; these are its likelihood terms",
)


@dataclass(frozen=True)
class Progress:
    """Where a step is: minibatch ``step`` of ``steps`` in epoch ``epoch`` of ``epochs``
    (all 0-based counts), for KL-weight schedules."""

    step: int
    steps: int
    epoch: int
    epochs: int


@dataclass(frozen=True)
class ELBOTerms:
    """One minibatch's objective.

    Attributes:
        loss: ``nll + beta * kl / num_train``, to call ``.backward()`` on.
        nll: the likelihood term (mean over the batch).
        kl: KL(q || p) of the whole network, in nats (0 for a plain network).
        beta: the KL weight used.
        logits: the ``(S, B, K)`` logits the terms were computed from.
    """

    loss: torch.Tensor
    nll: torch.Tensor
    kl: torch.Tensor
    beta: float
    logits: torch.Tensor


_NUM_TRAIN_HELP = (
    "num_train must be the number of training examples N (e.g. len(train_set); under "
    "torch.distributed the whole training set, not one process's share): the loss per "
    "example is NLL + beta * KL / N, so that the KL, a property of the whole network, is "
    "counted once per pass over the data"
)


class ELBO:
    """The negative ELBO per training example, for any classifier.

    Call it on a model and a minibatch, in :func:`bayescnn.fit` or in your own loop::

        elbo = bayescnn.ELBO(num_train=len(train_set))
        out = elbo(model, inputs, labels)      # out.loss, out.nll, out.kl
        out.loss.backward()

    The model may return logits ``(B, K)`` (the KL is then :func:`bayescnn.kl_divergence`
    of the model) or, as the original code's networks do, a ``(logits, kl)`` pair. A
    network without Bayesian layers has KL 0: the loss is its cross-entropy. A network
    of ``M`` members (:func:`bayescnn.nn.members_of`) returns ``(M, B, K)``: each member
    is a sample, so the expected NLL is the mean over members (and ``S x M`` samples
    with ``train_samples = S``); with its KL the mean of the members' KLs (the zoo's
    packed layers count it so), the loss is the mean of the members' ELBOs.

    Args:
        num_train: N, the number of training examples.
        beta: KL weight: a number (1 is the ELBO) or a schedule name of
            :class:`bayescnn.train.KLWeight` ('standard', 'blundell', 'soenderby'),
            evaluated at the :class:`Progress` the caller passes (1 without one).
        train_samples: Monte-Carlo samples S of the likelihood term per step, computed in
            one vectorised pass.
        likelihood: the likelihood term: 'mean' (the ELBO's expected NLL) or
            'logmeanexp' (the original's predictive NLL; not an ELBO for S > 1); see
            :data:`LIKELIHOODS`.
    """

    @renamed_keyword("bayescnn.ELBO", "objective", "likelihood")
    def __init__(
        self,
        num_train: int | None = None,
        *,
        beta: float | str = 1.0,
        train_samples: int = 1,
        likelihood: str = "mean",
    ) -> None:
        if num_train is None:
            raise InvalidArgumentError(f"ELBO needs num_train: {_NUM_TRAIN_HELP}")
        if isinstance(num_train, bool) or not isinstance(num_train, int) or num_train < 1:
            raise InvalidArgumentError(f"{_NUM_TRAIN_HELP}; got {num_train!r}")
        if isinstance(train_samples, bool) or not isinstance(train_samples, int):
            raise InvalidTypeError(f"train_samples must be an int, got {train_samples!r}")
        if train_samples < 1:
            raise InvalidArgumentError(f"train_samples must be >= 1, got {train_samples}")
        self.num_train = num_train
        self.kl_weight = KLWeight.parse(beta)
        self.train_samples = train_samples
        self._nll = LIKELIHOODS.get(likelihood)
        self.likelihood = likelihood

    def __repr__(self) -> str:
        return (
            f"ELBO(num_train={self.num_train}, beta={self.kl_weight}, "
            f"train_samples={self.train_samples}, likelihood={self.likelihood!r})"
        )

    objective = renamed_attribute("bayescnn.ELBO.objective", "bayescnn.ELBO.likelihood")

    def beta(self, progress: Progress | None = None) -> float:
        """The KL weight at ``progress`` (the schedule's value; 1 for schedules without one)."""
        if progress is None:
            return self.kl_weight.constant if self.kl_weight.schedule == "constant" else 1.0
        return self.kl_weight(progress.step, progress.steps, progress.epoch, progress.epochs)

    def __call__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        *,
        progress: Progress | None = None,
        kl_model: nn.Module | None = None,
    ) -> ELBOTerms:
        """Forward ``train_samples`` posterior samples of ``model`` and score them.

        Args:
            model: the network (possibly wrapped, e.g. by DistributedDataParallel).
            inputs, labels: one minibatch.
            progress: where the step is, for a scheduled beta.
            kl_model: the module whose Bayesian layers give the KL (default ``model``).
        """
        if self.train_samples == 1:
            output = model(inputs)
            logits, kl = output if isinstance(output, tuple) else (output, None)
        else:
            logits, kl = sample_forward(model, inputs, self.train_samples), None
        if kl is None:  # in float32 even under autocast
            with torch.autocast(logits.device.type, enabled=False):
                kl = kl_divergence(kl_model if kl_model is not None else model, validate=False)
        return self.terms(logits, labels, kl.to(logits.device), beta=self.beta(progress))

    def terms(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        kl: torch.Tensor,
        *,
        beta: float | None = None,
    ) -> ELBOTerms:
        """The objective from precomputed ``(B, K)`` or ``(S, B, K)`` logits and the KL
        (``beta`` default: :meth:`beta` without progress)."""
        beta = self.beta() if beta is None else beta
        given = tuple(logits.shape)
        if logits.ndim == 2:
            logits = logits.unsqueeze(0)
        if logits.ndim != 3 or labels.ndim != 1 or logits.shape[1] != labels.shape[0]:
            raise ModelInputError(
                f"the ELBO needs logits of shape (batch, classes) or (samples, batch, "
                f"classes) and labels of shape (batch,); got logits {given} "
                f"and labels {tuple(labels.shape)}"
            )
        nll = self._nll(logits.float(), labels)
        return ELBOTerms(nll + beta * kl / self.num_train, nll, kl, beta, logits)
