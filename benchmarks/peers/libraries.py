"""The same LeNet-5 built with each peer library's own layers, trained and sampled the way
its documentation tells a user to.

Every model has the layout of ``bayescnn.models.create("lenet", ...)``: the zoo's registered
``lenet`` builds it from a :class:`~bayescnn.models.LayerFactory` of the peer's layers (or,
for bayesian-torch, its ``dnn_to_bnn`` converter on our frequentist LeNet), so that
channels, kernels, pooling, widths and the ReLU are the same everywhere.

A peer's ``weightings`` say how its loss weighs the KL term: ``"docs"`` is what its
README or demo recommends, ``"elbo"`` is ``sum of every weight's KL / N_train``, the ELBO's
weight (bayescnn's). A peer whose documented weighting already is the ELBO's has only
``"elbo"``. The peers' imports happen inside the builders, so that this module imports
without them.
"""

from __future__ import annotations

import importlib.metadata
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import bayescnn
from bayescnn.models import MODELS, LayerFactory
from benchmarks.training import EVERY_LAYER_BAYESIAN

NUM_CLASSES = 10
IN_CHANNELS = 1
IMAGE_SIZE = 32

Loss = Callable[[Tensor, Tensor], Tensor]
"""``loss(inputs, labels)``: forward pass(es) and the scalar training loss."""
LossMaker = Callable[[nn.Module, int, int], Loss]
"""``make(model, num_train, batch_size)``: the loss closure of one model, built once."""
Draw = Callable[[nn.Module, Tensor, int], Tensor]
"""``draw(model, inputs, S)``: ``S`` samples of logits ``(S, B, K)`` (no_grad, eval mode)."""


@dataclass(frozen=True)
class Weighting:
    """How a loss weighs the KL term against the data term."""

    description: str
    make: LossMaker


@dataclass(frozen=True)
class Peer:
    """One library's Bayesian LeNet-5, its losses and its prediction loop.

    Attributes:
        name: Key and row label (``"library estimator"``).
        library: Distribution name (for the version), ``"bayescnn"`` for ours.
        estimator: Our estimator it is timed against: ``"bbb"`` (one weight sample per
            forward pass), ``"lrt"`` or ``"flipout"``; ``None`` for the frequentist twin.
        build: A fresh model (CPU, float32, training mode).
        weightings: The losses by weighting name (``"docs"``, ``"elbo"``).
        draw: ``S`` samples of logits of a batch, as the library's docs predict.
        note: What a reader should know (how the docs differ from what is measured).
    """

    name: str
    library: str
    estimator: str | None
    build: Callable[[], nn.Module]
    weightings: Mapping[str, Weighting]
    draw: Draw
    note: str = ""
    options: dict[str, object] = field(default_factory=dict)


def sequential_lenet(factory: LayerFactory) -> nn.Sequential:
    """bayescnn's LeNet-5 layout built from ``factory``'s layers: the zoo's registered
    ``lenet``, which takes the layers it is built from."""
    return MODELS.get("lenet")(
        layers=factory, in_channels=IN_CHANNELS, num_classes=NUM_CLASSES, image_size=IMAGE_SIZE
    )


def loop_draw(model: nn.Module, inputs: Tensor, samples: int) -> Tensor:
    """A Python loop of ``samples`` forward passes, each drawing its own weights."""
    return torch.stack([model(inputs) for _ in range(samples)])


def version(library: str) -> str | None:
    """The installed version of ``library`` (None when it is not installed)."""
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------- bayescnn


def _ours(estimator: str | None) -> Callable[[], nn.Module]:
    """Our LeNet-5; Bayesian, every weight layer at rho scale 1 (sigma = softplus(rho)), as
    every peer's is (:data:`benchmarks.training.EVERY_LAYER_BAYESIAN`), not the zoo's
    default for one network (a Bayesian head at rho scale 3): each row then differs from
    ours in the library alone."""
    return partial(
        bayescnn.models.create,
        "lenet",
        bayesian=estimator is not None,
        **({"estimator": estimator, **EVERY_LAYER_BAYESIAN} if estimator else {}),
        num_classes=NUM_CLASSES,
        in_channels=IN_CHANNELS,
        image_size=IMAGE_SIZE,
    )


def _ours_elbo(model: nn.Module, num_train: int, batch_size: int) -> Loss:
    def loss(x: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(model(x), y) + bayescnn.kl_divergence(model) / num_train

    return loss


def _cross_entropy(model: nn.Module, num_train: int, batch_size: int) -> Loss:
    return lambda x, y: F.cross_entropy(model(x), y)


def _ours_draw(model: nn.Module, inputs: Tensor, samples: int) -> Tensor:
    return bayescnn.sample_forward(model, inputs, samples)


def _one_draw(model: nn.Module, inputs: Tensor, samples: int) -> Tensor:
    """A deterministic network's one answer, ``(1, B, K)``: its mutual information is then
    exactly 0 (its AUROC 0.5), as ``bayescnn.predict`` gives, not rounding noise."""
    return model(inputs).unsqueeze(0)


# ---------------------------------------------------------------------- bayesian-torch

BAYESIAN_TORCH_PRIOR = {
    "prior_mu": 0.0,
    "prior_sigma": 1.0,
    "posterior_mu_init": 0.0,
    "posterior_rho_init": -3.0,
    "moped_enable": False,
    "moped_delta": 0.5,
}
"""The README's ``const_bnn_prior_parameters`` (its ``type`` is set per variant)."""


def _bayesian_torch(kind: str) -> nn.Module:
    from bayesian_torch.models.dnn_to_bnn import dnn_to_bnn

    model = _ours(None)()
    dnn_to_bnn(model, {**BAYESIAN_TORCH_PRIOR, "type": kind})
    return model


def _bayesian_torch_docs(model: nn.Module, num_train: int, batch_size: int) -> Loss:
    from bayesian_torch.models.dnn_to_bnn import get_kl_loss

    def loss(x: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(model(x), y) + get_kl_loss(model) / batch_size

    return loss


def _bayesian_torch_summed_kl(model: nn.Module) -> Tensor:
    """Every weight's KL summed: bayesian-torch's ``kl_div`` (a mean over the tensor's
    entries) times the number of entries, for each weight and bias tensor."""
    total: Tensor | int = 0
    for layer in model.modules():
        if not hasattr(layer, "kl_loss"):
            continue
        mu_w = getattr(layer, "mu_kernel", None)
        rho_w = getattr(layer, "rho_kernel", None)
        if mu_w is None:
            mu_w, rho_w = layer.mu_weight, layer.rho_weight
        pairs = [(mu_w, rho_w, layer.prior_weight_mu, layer.prior_weight_sigma)]
        if layer.mu_bias is not None:
            pairs.append(
                (layer.mu_bias, layer.rho_bias, layer.prior_bias_mu, layer.prior_bias_sigma)
            )
        for mu, rho, prior_mu, prior_sigma in pairs:
            sigma = F.softplus(rho)
            total = total + layer.kl_div(mu, sigma, prior_mu, prior_sigma) * mu.numel()
    return torch.as_tensor(total)


def _bayesian_torch_elbo(model: nn.Module, num_train: int, batch_size: int) -> Loss:
    def loss(x: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(model(x), y) + _bayesian_torch_summed_kl(model) / num_train

    return loss


# ------------------------------------------------------------------------------- blitz


def _blitz(flipout: bool) -> nn.Module:
    from blitz.modules import BayesianConv2d, BayesianLinear
    from blitz.utils import Flipout, variational_estimator

    conv, linear = BayesianConv2d, BayesianLinear
    if flipout:
        conv, linear = Flipout(conv), Flipout(linear)

    @variational_estimator
    class BlitzLeNet(nn.Sequential):
        pass

    factory = LayerFactory(
        conv2d=lambda i, o, k, padding=0: conv(i, o, (k, k), padding=padding),
        linear=linear,
    )
    return BlitzLeNet(OrderedDict(sequential_lenet(factory).named_children()))


def _blitz_elbo(model: nn.Module, num_train: int, batch_size: int) -> Loss:
    criterion = nn.CrossEntropyLoss()
    return partial(
        model.sample_elbo, criterion=criterion, sample_nbr=1, complexity_cost_weight=1 / num_train
    )


# ---------------------------------------------------------------------------- torchbnn

TORCHBNN_PRIOR_SIGMA = 0.1
"""The demos' ``prior_sigma`` (also the initial posterior sigma: torchbnn fills
``log_sigma`` with ``log(prior_sigma)``)."""
TORCHBNN_KL_WEIGHT = 0.01
"""The demos' ``kl_weight`` on ``BKLLoss(reduction='mean')``."""


def _torchbnn() -> nn.Module:
    import torchbnn

    factory = LayerFactory(
        conv2d=lambda i, o, k, padding=0: torchbnn.BayesConv2d(
            0.0, TORCHBNN_PRIOR_SIGMA, i, o, k, padding=padding
        ),
        linear=partial(torchbnn.BayesLinear, 0.0, TORCHBNN_PRIOR_SIGMA),
    )
    return sequential_lenet(factory)


def _torchbnn_loss(reduction: str, weight: Callable[[int], float]) -> LossMaker:
    def make(model: nn.Module, num_train: int, batch_size: int) -> Loss:
        import torchbnn

        kl, scale = torchbnn.BKLLoss(reduction=reduction), weight(num_train)

        def loss(x: Tensor, y: Tensor) -> Tensor:
            return F.cross_entropy(model(x), y) + scale * kl(model).squeeze()

        return loss

    return make


# ------------------------------------------------------------------- torch-uncertainty

TU_LAYERS = 5
"""Bayesian layers of LeNet-5: torch-uncertainty's ``KLDiv`` averages over them."""


def _torch_uncertainty() -> nn.Module:
    from torch_uncertainty.layers.bayesian import BayesConv2d, BayesLinear
    from torch_uncertainty.methods import StochasticModel

    factory = LayerFactory(
        conv2d=lambda i, o, k, padding=0: BayesConv2d(i, o, k, padding=padding),
        linear=BayesLinear,
    )
    # its bayesian_lenet wraps the network so: eval-mode forward passes loop num_samples times
    return StochasticModel(sequential_lenet(factory), num_samples=1)


def _torch_uncertainty_loss(layers_summed: bool) -> LossMaker:
    def make(model: nn.Module, num_train: int, batch_size: int) -> Loss:
        from torch_uncertainty.losses import ELBOLoss

        weight = (TU_LAYERS if layers_summed else 1) / num_train
        elbo = ELBOLoss(model, nn.CrossEntropyLoss(), kl_weight=weight, num_samples=1)
        return lambda x, y: elbo(x, y).squeeze()

    return make


def _torch_uncertainty_draw(model: nn.Module, inputs: Tensor, samples: int) -> Tensor:
    model.num_samples = samples
    return model(inputs).view(samples, inputs.shape[0], -1)


# ---------------------------------------------------------------------------- registry

ELBO_TEXT = "CE + sum KL / N"


def _ours_peer(estimator: str | None) -> Peer:
    if estimator is None:
        weightings = {"none": Weighting("CE only", _cross_entropy)}
        return Peer("frequentist", "bayescnn", None, _ours(None), weightings, _one_draw)
    weightings = {"elbo": Weighting("CE + kl_divergence(model) / N", _ours_elbo)}
    return Peer(
        f"bayescnn {estimator}", "bayescnn", estimator, _ours(estimator), weightings, _ours_draw
    )


def _bayesian_torch_peer(kind: str, estimator: str) -> Peer:
    return Peer(
        f"bayesian-torch {kind}",
        "bayesian-torch",
        estimator,
        partial(_bayesian_torch, kind),
        {
            "docs": Weighting(
                "CE + get_kl_loss(model) / batch_size (each layer's KL a mean over its weights)",
                _bayesian_torch_docs,
            ),
            "elbo": Weighting(ELBO_TEXT, _bayesian_torch_elbo),
        },
        loop_draw,
        note="dnn_to_bnn on the frequentist LeNet, README's prior N(0, 1), rho_init -3",
    )


def _blitz_peer(flipout: bool) -> Peer:
    return Peer(
        f"blitz {'flipout' if flipout else 'bbb'}",
        "blitz-bayesian-pytorch",
        "flipout" if flipout else "bbb",
        partial(_blitz, flipout),
        {
            "elbo": Weighting(
                "sample_elbo(sample_nbr=1, complexity_cost_weight=1/N): CE + MC KL / N",
                _blitz_elbo,
            )
        },
        loop_draw,
        note="README: sample_nbr=3, complexity_cost_weight=1/50000; one sample here",
    )


PEERS: dict[str, Peer] = {
    peer.name: peer
    for peer in (
        _ours_peer(None),
        _ours_peer("bbb"),
        _ours_peer("lrt"),
        _ours_peer("flipout"),
        _bayesian_torch_peer("Reparameterization", "bbb"),
        _bayesian_torch_peer("Flipout", "flipout"),
        _blitz_peer(False),
        _blitz_peer(True),
        Peer(
            "torchbnn bbb",
            "torchbnn",
            "bbb",
            _torchbnn,
            {
                "docs": Weighting(
                    f"CE + {TORCHBNN_KL_WEIGHT} * BKLLoss(reduction='mean') (KL per weight)",
                    _torchbnn_loss("mean", lambda n: TORCHBNN_KL_WEIGHT),
                ),
                "elbo": Weighting(
                    "CE + BKLLoss(reduction='sum') / N", _torchbnn_loss("sum", lambda n: 1 / n)
                ),
            },
            loop_draw,
            note=f"demos' prior N(0, {TORCHBNN_PRIOR_SIGMA}); no flipout",
        ),
        Peer(
            "torch-uncertainty bbb",
            "torch-uncertainty",
            "bbb",
            _torch_uncertainty,
            {
                "docs": Weighting(
                    "ELBOLoss(kl_weight=1/N, num_samples=1): CE + MC KL averaged over layers / N",
                    _torch_uncertainty_loss(False),
                ),
                "elbo": Weighting(
                    f"ELBOLoss(kl_weight={TU_LAYERS}/N): CE + MC KL summed over layers / N",
                    _torch_uncertainty_loss(True),
                ),
            },
            _torch_uncertainty_draw,
            note="BayesConv2d/BayesLinear in StochasticModel; no flipout",
        ),
    )
}
"""Every variant, ours first; keys are the names used on the command line and in JSON."""


def available(peer: Peer) -> bool:
    """Whether the peer's library is installed."""
    return peer.library == "bayescnn" or version(peer.library) is not None
