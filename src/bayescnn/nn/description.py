"""One line that says which network was built: :func:`describe`."""

from __future__ import annotations

from torch import nn

from bayescnn.nn.layer import BayesianLayer, Variational
from bayescnn.nn.members import members_of

__all__ = ["describe"]

_SHOWN = 6
"""Layer names listed in full; a longer list shows its first and last few."""


def _names(names: list[str]) -> str:
    if len(names) <= _SHOWN:
        return ", ".join(names)
    half = _SHOWN // 2
    return f"{', '.join(names[:half])}, ... {', '.join(names[-half:])} ({len(names)} layers)"


def _weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every weight layer: the variational ones and plain ``Linear`` / ``Conv1d/2d/3d``
    outside them (a rank-1 layer's shared weight is part of its posterior)."""
    found: list[tuple[str, nn.Module]] = []
    inside: list[str] = []
    for name, module in model.named_modules():
        if any(name.startswith(f"{outer}.") for outer in inside):
            continue
        if isinstance(module, Variational):
            found.append((name, module))
            inside.append(name)
        elif isinstance(module, nn.Linear | nn.modules.conv._ConvNd):
            found.append((name, module))
    return found


def _posterior(layers: list[nn.Module]) -> str:
    """The estimators and rho scales of mean-field layers, e.g. ``flipout, rho scale 3``."""
    mean_field = [layer for layer in layers if isinstance(layer, BayesianLayer)]
    if not mean_field:
        return "rank-1 posterior"
    estimators = sorted({layer.estimator.value for layer in mean_field})
    scales = sorted({layer.posterior_rho_scale for layer in mean_field})
    return f"{'/'.join(estimators)}, rho scale {'/'.join(f'{c:g}' for c in scales)}"


def describe(model: nn.Module) -> str:
    """Which weight layers of ``model`` are Bayesian, how, and which are plain, in one line.

    Example::

        >>> bayescnn.describe(bayescnn.models.create("lenet"))
        'Bayesian: fc1, fc2, fc3 (flipout, rho scale 3); plain: conv1, conv2'

    ``bayescnn train`` logs it for the network it trains and ``bayescnn inspect`` shows it
    for a saved one. Packed members and rank-1 mixtures add their member count.
    """
    layers = _weight_layers(model)
    bayesian = [(name, layer) for name, layer in layers if isinstance(layer, Variational)]
    plain = [name for name, layer in layers if not isinstance(layer, Variational)]
    members = members_of(model)
    suffix = f"; {members} members in one network" if members > 1 else ""
    if not bayesian:
        return f"plain network (no Bayesian layer): {_names(plain) or 'no weight layer'}{suffix}"
    text = (
        f"Bayesian: {_names([name for name, _ in bayesian])} "
        f"({_posterior([layer for _, layer in bayesian])})"
    )
    return (
        f"{text}; plain: {_names(plain)}{suffix}"
        if plain
        else f"{text}, every weight layer{suffix}"
    )
