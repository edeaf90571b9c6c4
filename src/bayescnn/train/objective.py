"""The per-example ELBO loss and its two Monte-Carlo likelihood terms."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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
    """-log (1/S) sum_s p(y | x, w_s), averaged over the batch (the original's objective).

    The log of the Monte-Carlo predictive (log-mean-exp). By Jensen it is <= the
    expected NLL, equal for S = 1; it rewards samples that disagree, so with S > 1 it
    is not the ELBO but a tighter, biased bound on the predictive likelihood.
    """
    log_probs = F.log_softmax(logits, dim=-1)
    picked = log_probs.gather(-1, labels.view(1, -1, 1).expand(logits.shape[0], -1, 1)).squeeze(-1)
    return -(torch.logsumexp(picked, dim=0) - math.log(logits.shape[0])).mean()


def elbo_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    kl: torch.Tensor,
    *,
    beta: float,
    num_train: int,
    objective: str = "mean",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Negative ELBO per training example: NLL term + beta * KL / N_train.

    With beta = 1 summed over the N_train / B minibatches of an epoch this is the
    negative ELBO of the whole training set divided by N_train, so its gradient scale
    does not depend on the batch size. ``N_train`` counts the examples actually trained
    on (the training split, not the validation part; under DDP the whole training set,
    not one rank's shard).

    Returns:
        (loss, nll term).
    """
    nll = expected_nll(logits, labels) if objective == "mean" else predictive_nll(logits, labels)
    return nll + beta * kl / num_train, nll
