"""Registries of the training choices a config names: optimisers and schedulers.

Optimisers are ``factory(parameters, *, lr, momentum, weight_decay, device)`` and
schedulers ``factory(optimizer, *, epochs, patience)``; each takes the keywords it needs
(see :func:`bayescnn.registry.call_with_accepted`). The estimators are the
:class:`bayescnn.Estimator` enum itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from bayescnn.registry import Registry

__all__ = ["OPTIMIZERS", "SCHEDULERS"]

OPTIMIZERS: Registry[Callable[..., torch.optim.Optimizer]] = Registry("optimizer")
SCHEDULERS: Registry[Callable[..., Any]] = Registry("scheduler")


@OPTIMIZERS.register("adam")
def adam(
    parameters: Iterable[torch.nn.Parameter],
    *,
    lr: float,
    weight_decay: float,
    device: torch.device,
) -> torch.optim.Optimizer:
    """Adam; on CUDA its fused kernel (one launch for all parameters)."""
    return torch.optim.Adam(
        parameters, lr=lr, weight_decay=weight_decay, fused=torch.device(device).type == "cuda"
    )


@OPTIMIZERS.register("sgd")
def sgd(
    parameters: Iterable[torch.nn.Parameter], *, lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    """SGD with momentum."""
    return torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)


@SCHEDULERS.register("plateau")
def plateau(optimizer: torch.optim.Optimizer, *, patience: int) -> Any:
    """Divide the learning rate by 10 when the validation NLL stops improving."""
    return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=patience)


@SCHEDULERS.register("cosine")
def cosine(optimizer: torch.optim.Optimizer, *, epochs: int) -> Any:
    """Cosine annealing to 0 over the run."""
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


@SCHEDULERS.register("none")
def constant(optimizer: torch.optim.Optimizer) -> None:
    """A constant learning rate."""
    return None
