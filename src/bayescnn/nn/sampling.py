"""How a Bayesian layer is asked to run: sample or posterior mean, and how many samples."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from torch import nn

from bayescnn.errors import InvalidArgumentError


@dataclass(frozen=True)
class MonteCarlo:
    """S Monte-Carlo samples evaluated in one batched forward pass.

    The model receives the untiled batch of ``batch_size`` examples. A layer whose
    input still has ``batch_size`` rows has an input that is the same for every sample
    (e.g. the first Bayesian layer) and may compute its deterministic part once; its
    output has ``num_samples * batch_size`` rows, sample-major (row ``s * B + b``).
    Layers after it see the tiled batch.
    """

    num_samples: int
    batch_size: int

    def is_tiled(self, rows: int) -> bool:
        """True when an input with ``rows`` rows already holds all samples."""
        if rows == self.num_samples * self.batch_size:
            return True
        if rows == self.batch_size:
            return False
        raise InvalidArgumentError(
            f"a Bayesian layer got {rows} rows inside a {self.num_samples}-sample pass over "
            f"{self.batch_size} examples; expected {self.batch_size} or "
            f"{self.num_samples * self.batch_size}. Layers that change the batch size are "
            "not supported by vectorised sampling: use a loop of single passes instead."
        )


class Stochastic(nn.Module):
    """Base of every module whose forward can sample.

    ``sample`` (default True, in train and eval mode alike) selects between a draw from
    the posterior and the posterior-mean network; it never follows ``train()``/``eval()``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sample = True
        self.monte_carlo: MonteCarlo | None = None


def _stochastic_modules(model: nn.Module) -> Iterator[Stochastic]:
    return (m for m in model.modules() if isinstance(m, Stochastic))


def is_stochastic(model: nn.Module) -> bool:
    """Whether ``model`` samples (Bayesian layers, MC dropout, an ensemble's members):
    else one pass gives its prediction."""
    from bayescnn.nn.ensemble import Ensemble

    return isinstance(model, Ensemble) or any(True for _ in _stochastic_modules(model))


def set_posterior_mean(model: nn.Module, enabled: bool = True) -> nn.Module:
    """Run every Bayesian layer of ``model`` at its posterior mean (or sample again)."""
    for module in _stochastic_modules(model):
        module.sample = not enabled
    return model


@contextmanager
def posterior_mean(model: nn.Module) -> Iterator[nn.Module]:
    """Context in which ``model`` runs its posterior-mean network; restores modes after.

    Example:
        >>> with bayescnn.posterior_mean(model):
        ...     logits = model(x)
    """
    previous = [(m, m.sample) for m in _stochastic_modules(model)]
    try:
        set_posterior_mean(model, True)
        yield model
    finally:
        for module, sample in previous:
            module.sample = sample


@contextmanager
def monte_carlo(model: nn.Module, num_samples: int, batch_size: int) -> Iterator[nn.Module]:
    """Context in which one forward of ``model`` evaluates ``num_samples`` samples.

    Inside it, ``model(x)`` with ``x`` of ``batch_size`` rows returns
    ``num_samples * batch_size`` rows (sample-major). Every sample has its own weight
    draw for every estimator. Prefer :func:`bayescnn.nn.sample_forward`.
    """
    if num_samples < 1:
        raise InvalidArgumentError(f"num_samples must be >= 1, got {num_samples}")
    plan = MonteCarlo(num_samples, batch_size) if num_samples > 1 else None
    modules = list(_stochastic_modules(model))
    previous = [m.monte_carlo for m in modules]
    try:
        for module in modules:
            module.monte_carlo = plan
        yield model
    finally:
        for module, old in zip(modules, previous, strict=True):
            module.monte_carlo = old


@contextmanager
def frozen_eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model.eval()`` for the block (BatchNorm uses, never updates, its running stats),
    then restore every module's own ``training`` flag.

    Bayesian layers keep sampling in eval mode: sampling follows only
    :func:`posterior_mean`.
    """
    previous = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        yield model
    finally:
        for module, training in previous:
            module.training = training
