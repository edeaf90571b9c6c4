"""The three gradient estimators, written once for every layer type.

Each estimator is a function of the layer's functional op and the Gaussian posterior
q(W) = N(mu, sigma^2) (elementwise), so Linear and Conv1d/2d/3d share the same code:

* ``bbb``: Bayes by Backprop (Blundell et al. 2015). One weight draw
  W = mu + sigma * eps per forward, shared by the batch.
* ``lrt``: local reparameterisation (Kingma, Salimans & Welling 2015). The
  pre-activations are Gaussian given the input, so they are sampled directly:
  b ~ N(op(x, mu), op(x^2, sigma^2)), independently per example and unit.
* ``flipout``: Wen et al. (2018). One perturbation dW = sigma * eps is decorrelated
  across examples by random signs: op(x, mu) + op(x * s_in, dW) * s_out, with
  s_in, s_out in {-1, +1} drawn per example and channel.

All three have the same marginal mean and variance per output unit. In a vectorised
Monte-Carlo pass (:class:`~bayescnn.nn.sampling.MonteCarlo`) every sample gets its own
weight draw (BBB: S weight sets in one grouped op), and a layer whose input is
identical across samples computes its deterministic part once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import torch
from torch.autograd.function import once_differentiable

from bayescnn.nn.noise import standard_normal
from bayescnn.nn.sampling import MonteCarlo
from bayescnn.registry import Choice

Op = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]
"""``op(x, weight, bias)``: the layer's deterministic functional op (F.linear, F.conv2d, ...)."""

ManyOp = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None, bool], torch.Tensor]
"""``op_many(x, weights, biases, tiled)``: the op with S stacked weight sets (S, *shape).

Returns ``S * B`` rows, sample-major. ``tiled`` says whether ``x`` already holds
``S * B`` rows (one block per sample) or ``B`` rows shared by all samples.
"""


class Estimator(Choice):
    """Which Monte-Carlo gradient estimator a Bayesian layer uses."""

    BBB = "bbb"
    LRT = "lrt"
    FLIPOUT = "flipout"

    @property
    def activation_copies(self) -> int:
        """Output-sized tensors one forward allocates per output row: the output alone
        (bbb); mean, variance and noise (lrt); mean, perturbation and noise signs
        (flipout). Used to model the memory a Monte-Carlo pass moves."""
        return 1 if self is Estimator.BBB else 3


@dataclass(frozen=True)
class GaussianPosterior:
    """The tensors of q(W, b) = N(weight_mu, weight_sigma^2) N(bias_mu, bias_sigma^2)."""

    weight_mu: torch.Tensor
    weight_sigma: torch.Tensor
    bias_mu: torch.Tensor | None
    bias_sigma: torch.Tensor | None

    def draw(self, num_samples: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Draw W = mu + sigma * eps (and b): one set, or ``num_samples`` stacked sets."""
        biases = None
        if self.bias_mu is not None and self.bias_sigma is not None:
            biases = _reparameterise(self.bias_mu, self.bias_sigma, num_samples)
        return _reparameterise(self.weight_mu, self.weight_sigma, num_samples), biases


def _reparameterise(mu: torch.Tensor, sigma: torch.Tensor, num_samples: int | None) -> torch.Tensor:
    """mu + sigma * eps with eps ~ N(0, I), with a leading sample axis if ``num_samples``."""
    shape = mu.shape if num_samples is None else (num_samples, *mu.shape)
    return torch.addcmul(mu, sigma, standard_normal(shape, device=mu.device, dtype=mu.dtype))


def tile_samples(t: torch.Tensor, num_samples: int) -> torch.Tensor:
    """Repeat a batch ``num_samples`` times, sample-major: (B, ...) -> (S * B, ...)."""
    return t.unsqueeze(0).expand(num_samples, *t.shape).reshape(-1, *t.shape[1:])


def _needs_tiling(mc: MonteCarlo | None, x: torch.Tensor) -> TypeGuard[MonteCarlo]:
    """Whether a Monte-Carlo pass is on and ``x`` still holds one block shared by all samples."""
    return mc is not None and not mc.is_tiled(x.shape[0])


def _random_signs(shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    return torch.empty(shape, device=like.device, dtype=like.dtype).bernoulli_(0.5).mul_(2).sub_(1)


def _row_channel_shape(t: torch.Tensor, channel_dim: int) -> tuple[int, ...]:
    """Shape (N, 1.., C, 1..) that broadcasts one value per row and channel of ``t``."""
    channel_dim = channel_dim % t.dim()
    return tuple(size if dim in (0, channel_dim) else 1 for dim, size in enumerate(t.shape))


def mean_forward(
    op: Op, x: torch.Tensor, q: GaussianPosterior, mc: MonteCarlo | None
) -> torch.Tensor:
    """The posterior-mean network: op(x, mu_W, mu_b) (tiled to S copies when asked)."""
    out = op(x, q.weight_mu, q.bias_mu)
    return tile_samples(out, mc.num_samples) if _needs_tiling(mc, x) else out


def bbb_forward(
    op: Op, op_many: ManyOp, x: torch.Tensor, q: GaussianPosterior, mc: MonteCarlo | None
) -> torch.Tensor:
    """Bayes by Backprop: one weight draw per sample, shared by the batch."""
    if mc is None:
        return op(x, *q.draw())
    weights, biases = q.draw(mc.num_samples)
    return op_many(x, weights, biases, mc.is_tiled(x.shape[0]))


def lrt_variance(op: Op, x: torch.Tensor, q: GaussianPosterior) -> torch.Tensor:
    """Variance of the pre-activations under local reparameterisation.

    For a linear op and independent weights ``W_ij ~ N(mu_ij, sigma_ij^2)``, the output
    ``b_j = Σ_i x_i W_ij + c_j`` is Gaussian with ``Var[b_j] = Σ_i x_i^2 sigma_ij^2 +
    sigma_c,j^2``, i.e. ``op(x^2, sigma^2, sigma_b^2)`` (Kingma, Salimans & Welling 2015,
    eq. 6); for a convolution the same holds per output position.

    It is computed outside autocast, in the parameters' precision (float32 under a
    bfloat16/float16 autocast): squares of small sigmas underflow and lose precision
    in half precision.

    Args:
        op: The layer's :meth:`~bayescnn.nn.BayesianLayer.functional_op`.
        x: The layer's input.
        q: The layer's posterior.

    Returns:
        ``op(x^2, sigma^2, sigma_b^2)``, of the shape of ``op(x, mu, mu_b)``.
    """
    bias_var = None if q.bias_sigma is None else q.bias_sigma.square()
    with torch.autocast(x.device.type, enabled=False):
        x = x.to(q.weight_sigma.dtype)
        return op(x.square(), q.weight_sigma.square(), bias_var)


class _GaussianSample(torch.autograd.Function):
    """out = mean + sqrt(max(var, tiny)) * eps, eps ~ N(0, I), as one autograd node.

    The composite of clamp, sqrt, randn and addcmul saves three activation-sized tensors
    for backward (var, std, eps) and makes a pass per elementwise derivative; this node
    saves two and computes d out/d mean = 1 and d out/d var = eps / (2 std) (0 where var
    was clamped) in place. It is differentiable once (second derivatives raise).

    With ``num_samples`` the noise has a leading sample axis and mean and var are
    broadcast against it (their gradients are summed over that axis).
    """

    @staticmethod
    def forward(
        ctx: Any, mean: torch.Tensor, var: torch.Tensor, num_samples: int | None
    ) -> torch.Tensor:
        std = var.clamp_min(torch.finfo(var.dtype).tiny).sqrt_()
        shape = mean.shape if num_samples is None else (num_samples, *mean.shape)
        eps = standard_normal(shape, device=mean.device, dtype=mean.dtype)
        ctx.save_for_backward(std, eps)
        ctx.sample_axis = num_samples is not None
        return torch.addcmul(mean, std, eps)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        std, eps = ctx.saved_tensors
        grad_mean = grad_var = None
        if ctx.needs_input_grad[0]:
            grad_mean = grad.sum(0) if ctx.sample_axis else grad
        if ctx.needs_input_grad[1]:
            grad_std = grad * eps
            if ctx.sample_axis:
                grad_std = grad_std.sum(0)
            grad_var = grad_std.div_(std).mul_(0.5)
            clamped = std <= math.sqrt(torch.finfo(std.dtype).tiny)
            grad_var = grad_var.masked_fill_(clamped, 0.0)
        return grad_mean, grad_var, None


def sample_gaussian(
    mean: torch.Tensor, var: torch.Tensor, num_samples: int | None = None
) -> torch.Tensor:
    """Draw mean + sqrt(var) * eps (``num_samples`` draws stacked on a new first axis)."""
    out: torch.Tensor = _GaussianSample.apply(mean, var, num_samples)  # apply() is untyped
    return out


def lrt_forward(
    op: Op, x: torch.Tensor, q: GaussianPosterior, mc: MonteCarlo | None
) -> torch.Tensor:
    """Local reparameterisation: out ~ N(op(x, mu), op(x^2, sigma^2)) per example and unit."""
    mean = op(x, q.weight_mu, q.bias_mu)
    var = lrt_variance(op, x, q)
    if _needs_tiling(mc, x):
        # one mean and variance for all samples, broadcast against S noise draws
        return sample_gaussian(mean, var, mc.num_samples).reshape(-1, *mean.shape[1:])
    return sample_gaussian(mean, var)


def flipout_forward(
    op: Op,
    op_many: ManyOp,
    x: torch.Tensor,
    q: GaussianPosterior,
    mc: MonteCarlo | None,
    channel_dim: int,
) -> torch.Tensor:
    """Flipout: op(x, mu) + op(x * s_in, sigma * eps) * s_out, signs per row and channel.

    The bias perturbation sigma_b * eps_b is drawn per row as well, so rows (examples)
    are decorrelated in every term. In a vectorised pass each sample has its own
    eps (one stacked-weights op), so samples of the same example are independent.
    """
    mean = op(x, q.weight_mu, q.bias_mu)
    if _needs_tiling(mc, x):
        mean, x = tile_samples(mean, mc.num_samples), tile_samples(x, mc.num_samples)
    sign_in = _random_signs(_row_channel_shape(x, channel_dim), x)
    sigma = q.weight_sigma
    if mc is None:
        delta_weight = sigma * standard_normal(sigma.shape, device=sigma.device, dtype=sigma.dtype)
        perturbation = op(x * sign_in, delta_weight, None)
    else:
        shape = (mc.num_samples, *sigma.shape)
        delta_weights = sigma * standard_normal(shape, device=sigma.device, dtype=sigma.dtype)
        perturbation = op_many(x * sign_in, delta_weights, None, True)
    out_shape = _row_channel_shape(perturbation, channel_dim)
    noise = _random_signs(out_shape, perturbation) * perturbation
    if q.bias_sigma is not None:
        bias_shape = [1] * len(out_shape)
        bias_shape[channel_dim % len(out_shape)] = -1
        noise = noise + q.bias_sigma.view(bias_shape) * standard_normal(
            out_shape, device=mean.device, dtype=mean.dtype
        )
    return mean + noise
