"""Model-level helpers: the total KL and vectorised Monte-Carlo forward passes."""

from __future__ import annotations

from collections.abc import Hashable
from itertools import chain

import torch
import torch.nn.functional as F
from torch import nn

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.ensemble import Ensemble
from bayescnn.nn.layer import BayesianLayer, Variational
from bayescnn.nn.members import members_of, sample_rows
from bayescnn.nn.sampling import is_stochastic, monte_carlo

CPU_PASS_BYTES = 64 * 1024**2
"""On the CPU, :func:`sample_forward` stacks as many samples per pass as keep the pass's
modelled activation memory within this many bytes: glibc keeps up to twice its largest
mmap threshold (2 x 32 MiB) of freed memory for reuse, so a larger pass page-faults its
temporaries in afresh and runs slower than a loop of single passes (the measurements
are in the documentation's speed results)."""


def bayesian_layers(model: nn.Module) -> list[BayesianLayer]:
    """Every Bayesian layer in ``model`` (found by type, not by name)."""
    return [m for m in model.modules() if isinstance(m, BayesianLayer)]


def kl_divergence(model: nn.Module, *, validate: bool = True) -> torch.Tensor:
    """Sum over every variational layer of KL(q || p), in nats (0 for a plain network).

    Mean-field layers (:class:`BayesianLayer`) and rank-1 layers
    (:mod:`bayescnn.nn.rank1`, whose term is the mixture's KL approximation) alike:
    every :class:`~bayescnn.nn.layer.Variational` module's :meth:`kl`.

    Layers whose priors are the same distribution (:meth:`Prior.distribution_key`), with
    the same rho scale, in the same dtype and on the same device, are evaluated in one
    pass over their concatenated parameters: the same sum, in a dozen tensor ops instead
    of a dozen per parameter tensor (what a GPU step is bound by for small networks).

    Args:
        model: any module tree.
        validate: raise InvalidArgumentError (a ValueError) when the KL is not finite (costs one host sync;
            the training loop checks its loss instead and passes False).
    """
    layers = [m for m in model.modules() if isinstance(m, Variational)]
    if not layers:
        return torch.zeros(())
    groups: dict[Hashable, list[BayesianLayer]] = {}
    terms = []
    for layer in layers:
        if isinstance(layer, BayesianLayer) and _uses_the_standard_kl(layer):
            key = (
                layer.prior.distribution_key(),
                layer.posterior_rho_scale,
                layer.weight_mu.dtype,
                layer.weight_mu.device,
            )
            groups.setdefault(key, []).append(layer)
        else:
            terms.append(layer.kl())
    terms += [_shared_prior_kl(members) for members in groups.values()]
    kl = terms[0] if len(terms) == 1 else torch.stack(terms).sum()
    if validate and not torch.isfinite(kl):
        raise InvalidArgumentError(
            f"KL divergence is {kl.item()}: a posterior sigma underflowed or a parameter "
            "is not finite; lower the learning rate or start rho higher (e.g. -5)"
        )
    return kl


def _uses_the_standard_kl(layer: BayesianLayer) -> bool:
    """True unless a subclass redefines the KL, sigma or rho (those layers are summed as
    they are)."""
    cls = type(layer)
    return (
        cls.kl is BayesianLayer.kl
        and cls.weight_sigma is BayesianLayer.weight_sigma
        and cls.rho_of is BayesianLayer.rho_of
    )


def _shared_prior_kl(layers: list[BayesianLayer]) -> torch.Tensor:
    """KL(q || p) of layers sharing one prior and rho scale c: p's KL of their concatenated
    (mu, softplus(c * stored rho)), c applied once to the concatenation."""
    if len(layers) == 1:
        return layers[0].kl()
    pairs = [
        (mu.reshape(-1), rho.reshape(-1))
        for layer in layers
        for mu, rho in ((layer.weight_mu, layer.weight_rho), (layer.bias_mu, layer.bias_rho))
        if mu is not None and rho is not None
    ]
    mus, rhos = zip(*pairs, strict=True)
    rho = layers[0].rho_of(torch.cat(rhos))
    return layers[0].prior.kl(torch.cat(mus), F.softplus(rho))


def _row_bytes(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """One forward pass of ``model`` (a sample) and its activation bytes per input row.

    Every leaf module's output counts once, a Bayesian layer's times its estimator's
    :attr:`~bayescnn.nn.Estimator.activation_copies`: a model of the memory that one
    row of a Monte-Carlo pass allocates (a function of shapes alone, so deterministic).
    """
    counted = [0]

    def count(module: nn.Module, _inputs: object, output: object) -> None:
        if isinstance(output, torch.Tensor):
            copies = module.estimator.activation_copies if isinstance(module, BayesianLayer) else 1
            counted[0] += output.numel() * output.element_size() * copies

    leaves = [m for m in model.modules() if isinstance(m, BayesianLayer) or not any(m.children())]
    handles = [leaf.register_forward_hook(count) for leaf in leaves]
    try:
        out = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return out, counted[0] // max(x.shape[0], 1)


def logits_of(output: object) -> torch.Tensor:
    """The logits of a model's output: the tensor itself, or the first of a tuple
    (the :mod:`bayescnn.compat` models return ``(logits, kl)``)."""
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise InvalidArgumentError(
            f"the model must return logits (a tensor, or a tuple starting with one), got "
            f"{type(output).__name__}"
        )
    return output


def sample_forward(
    model: nn.Module, x: torch.Tensor, num_samples: int, *, chunk_size: int | None = None
) -> torch.Tensor:
    """Evaluate ``num_samples`` posterior samples of ``model`` on ``x`` in batched passes.

    Every sample uses its own weight draw for every estimator (BBB included). The work
    is done ``chunk_size`` samples at a time to bound memory. The default is all samples
    at once on an accelerator. On the CPU, where the work is compute-bound and a pass
    that allocates more than the allocator keeps for reuse page-faults its memory in
    afresh, the first sample runs alone and measures the network's activation bytes
    per row (:func:`_row_bytes`); the others are stacked as many per pass as keep a
    pass within :data:`CPU_PASS_BYTES`, which is one per pass (a loop) when even two
    would not fit. The choice depends on shapes alone, so results are reproducible.

    An :class:`~bayescnn.nn.Ensemble` gives its members' samples one after another:
    ``num_samples`` of each member that samples, one of each that does not. A network
    that runs ``K`` members at once (:func:`~bayescnn.nn.members_of`; it returns
    ``(K, batch, ...)``) gives ``num_samples x K`` samples, sample-major then member
    (row ``s * K + k``), and ``K`` when called with ``num_samples = 1``.

    Returns:
        Tensor of shape ``(num_samples, batch, ...)`` (for an ensemble, the members'
        samples: ``M x num_samples`` or ``M`` rows; for a members network
        ``num_samples x K`` rows).
    """
    if num_samples < 1:
        raise InvalidArgumentError(f"num_samples must be >= 1, got {num_samples}")
    if isinstance(model, Ensemble):  # each member's samples (one if it does not sample)
        return torch.cat(
            [
                sample_forward(m, x, num_samples if is_stochastic(m) else 1, chunk_size=chunk_size)
                for m in model.members
            ]
        )
    batch, members = x.shape[0], members_of(model)
    chunks = []
    if chunk_size is None and x.device.type == "cpu":
        first, row_bytes = _row_bytes(model, x)
        chunks.append(sample_rows(first, 1, batch, members))
        chunk_size = CPU_PASS_BYTES // max(row_bytes * batch, 1)
    elif chunk_size is None:
        chunk_size = num_samples
    chunk_size = max(1, min(chunk_size, num_samples))
    for start in range(len(chunks), num_samples, chunk_size):
        count = min(chunk_size, num_samples - start)
        with monte_carlo(model, count, batch):
            out = model(x)
        chunks.append(sample_rows(out, count, batch, members))
    return torch.cat(chunks) if len(chunks) > 1 else chunks[0]


def module_device(model: nn.Module) -> torch.device | None:
    """The device of ``model``'s first parameter or buffer; ``None`` if it has neither."""
    first = next(chain(model.parameters(), model.buffers()), None)
    return None if first is None else first.device
