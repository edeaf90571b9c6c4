"""The member axis: K ensemble members run as one network.

A network with an integer attribute ``members = K`` (K > 1) returns logits of shape
``(K, B, C)`` for an input batch of ``B`` rows: one row block per member (e.g. the
zoo's packed ensembles, ``bayescnn.models.create(..., members=K)``). Each member is a
sample of the predictive p(y | x) = (1/K) sum_k p_k(y | x), so
:func:`bayescnn.nn.sample_forward` returns ``S x K`` samples of such a network
(sample-major, then member), every prediction of bayescnn averages over them, and the
ELBO's expected NLL is the mean over members (:class:`bayescnn.ELBO`).
"""

from __future__ import annotations

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["default_samples", "member_samples", "members_of", "sample_rows"]


def members_of(model: nn.Module) -> int:
    """K, the number of members ``model`` runs at once: its integer attribute ``members``
    (looked up through ``DataParallel``/``DistributedDataParallel``), 1 without one.

    A submodule list called ``members`` (:class:`~bayescnn.nn.Ensemble`'s) is not a
    member axis: an ensemble's members are separate networks, sampled one by one.

    Raises:
        InvalidTypeError: If ``members`` is neither an int nor a module.
        InvalidArgumentError: If ``members`` is an int below 1.
    """
    while isinstance(model, nn.DataParallel | nn.parallel.DistributedDataParallel):
        model = model.module
    members = getattr(model, "members", 1)
    if isinstance(members, nn.Module):
        return 1
    if isinstance(members, bool) or not isinstance(members, int):
        raise InvalidTypeError(
            f"{type(model).__name__}.members must be an int (the number of members the "
            f"network runs at once), got {members!r}"
        )
    if members < 1:
        raise InvalidArgumentError(f"{type(model).__name__}.members must be >= 1, got {members}")
    return members


def member_samples(members: int, one_network: int = defaults.SAMPLES) -> int:
    """The Monte-Carlo samples of each member a network of ``members`` draws by default:
    ``one_network`` for one network, at most :data:`~bayescnn.defaults.MEMBER_SAMPLES`
    of each of ``K > 1`` members (the predictive then averages ``K`` times as many)."""
    return one_network if members == 1 else min(one_network, defaults.MEMBER_SAMPLES)


def default_samples(
    model: nn.Module, samples: int | None = None, *, one_network: int = defaults.SAMPLES
) -> int:
    """``samples`` if given, else what ``model`` draws by default (:func:`member_samples`
    of its :func:`members_of`): the one rule behind every ``samples=None``.

    Example:
        >>> default_samples(bayescnn.models.create("lenet"))
        25
        >>> default_samples(bayescnn.models.create("lenet", members=4))
        8
    """
    return member_samples(members_of(model), one_network) if samples is None else samples


def sample_rows(output: torch.Tensor, num_samples: int, batch: int, members: int) -> torch.Tensor:
    """One forward pass's output as ``(num_samples * members, batch, ...)`` samples.

    ``output`` is what a network returns inside a ``num_samples``-sample Monte-Carlo
    pass (:func:`bayescnn.nn.monte_carlo`): ``num_samples * batch`` rows, sample-major
    (``batch`` rows when the network is deterministic: they are then repeated), with a
    leading member axis ``(members, rows, ...)`` when ``members > 1``. Samples are
    ordered sample-major, then member: row ``s * members + k`` is sample ``s`` of
    member ``k``.

    Raises:
        InvalidArgumentError: If a members network's output has no leading member axis.
    """
    if members == 1:
        if output.shape[0] == batch and num_samples > 1:  # a deterministic network
            return output.unsqueeze(0).expand(num_samples, *output.shape)
        return output.reshape(num_samples, batch, *output.shape[1:])
    if output.ndim < 2 or output.shape[0] != members:
        raise InvalidArgumentError(
            f"a network with members={members} must return (members, batch, ...) logits, "
            f"one row block per member; got shape {tuple(output.shape)}"
        )
    rows = output.transpose(0, 1)  # (rows, K, ...)
    if rows.shape[0] == batch and num_samples > 1:
        rows = rows.unsqueeze(0).expand(num_samples, *rows.shape)
    else:
        rows = rows.reshape(num_samples, batch, *rows.shape[1:])
    # (S, B, K, ...) -> (S, K, B, ...) -> (S * K, B, ...)
    return rows.transpose(1, 2).reshape(num_samples * members, batch, *rows.shape[3:])
