"""Export a Bayesian network to ONNX or to a ``torch.export`` program.

Two graphs can be exported, both with a dynamic batch dimension:

* the posterior-mean network (``samples=None``): :func:`~bayescnn.deploy.to_deterministic`,
  ``input (N, ...) -> logits (N, K)``, plain convolutions and matmuls;
* the Monte-Carlo predictive (``samples=S``): :class:`~bayescnn.deploy.MonteCarloPredictive`,
  ``input (N, ...) -> (mean_probs (N, K), aleatoric (N,), epistemic (N,))``, with the
  ``S`` weight draws ``W_s = mu + sigma * eps_s`` made inside the graph (ONNX
  ``RandomNormalLike``) and the entropy decomposition computed by the graph.

Both are traced once by ``torch.export`` (non-strict, batch dimension symbolic). The
ONNX file is translated from that program by PyTorch's ``torch.export``-based exporter
(``torch.onnx.export(..., dynamo=True)``), which exports ``torch.randn`` as ONNX random
ops; the legacy TorchScript exporter is not needed. Models are exported in eval mode
(BatchNorm uses its running statistics) and without gradients. ONNX files hold their
weights inline, which limits them to 2 GB.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

from bayescnn.calibration.temperature import divide_by_temperature, temperature_of
from bayescnn.deploy.deterministic import to_deterministic
from bayescnn.deploy.errors import ExportError
from bayescnn.deploy.predictive import MonteCarloPredictive, check_num_samples
from bayescnn.errors import (
    InvalidTypeError,
    ModelInputError,
    is_input_shape_error,
)
from bayescnn.io.atomic import atomic_path
from bayescnn.nn.functional import logits_of
from bayescnn.nn.members import members_of
from bayescnn.nn.rank1 import Rank1Layer
from bayescnn.registry import Choice

__all__ = [
    "INPUT_NAME",
    "MEAN_OUTPUTS",
    "PREDICTIVE_OUTPUTS",
    "ExportFormat",
    "export",
    "export_onnx",
    "export_program",
    "exportable_module",
]

INPUT_NAME = "input"
"""The name of the exported graphs' one input: a batch of normalised images."""

MEAN_OUTPUTS = ("logits",)
"""Output names of the posterior-mean graph."""

PREDICTIVE_OUTPUTS = ("mean_probs", "aleatoric", "epistemic")
"""Output names of the Monte-Carlo predictive graph."""


class ExportFormat(Choice):
    """The file formats :func:`export` writes."""

    ONNX = "onnx"
    TORCH_EXPORT = "torch-export"

    @property
    def suffix(self) -> str:
        """The usual file suffix: ``.onnx`` or ``.pt2``."""
        return ".onnx" if self is ExportFormat.ONNX else ".pt2"


class _FirstOutput(nn.Module):
    """Keeps the logits of a model that returns ``(logits, ...)`` (the compat models),
    divided by its temperature when it was calibrated (:func:`bayescnn.calibrate`; for
    one network both forms of the temperature are ``softmax(f / T)``)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return divide_by_temperature(logits_of(self.model(x)), self.model)


def exportable_module(model: nn.Module, *, samples: int | None = None) -> nn.Module:
    """The module the exporters trace, a copy of ``model`` in eval mode without gradients.

    Args:
        model: a Bayesian (or plain) classifier.
        samples: None for the posterior-mean network (:func:`to_deterministic`), or
            ``S`` for the Monte-Carlo predictive (:class:`MonteCarloPredictive`). Either
            applies the model's temperature when it was calibrated.

    Raises:
        InvalidTypeError: For a rank-1 model (:mod:`bayescnn.nn.rank1`), which has no
            exported form yet.
        ExportError: For a network of several members (:func:`bayescnn.nn.members_of`):
            the exported graphs give one network's ``(B, C)`` logits or predictive.
    """
    if any(isinstance(m, Rank1Layer) for m in model.modules()):
        raise InvalidTypeError(
            "a rank-1 model (posterior_family rank1) cannot be exported yet: its members "
            "share one batch and return (members, batch, classes); export a mean-field, "
            "MC-dropout or plain model, or predict with bayescnn predict"
        )
    members = members_of(model)
    if members > 1:
        raise ExportError(
            f"a network of {members} members (models.create(..., members=K)) cannot be "
            "exported: the exported graphs hold one network's logits or predictive; "
            "predict with bayescnn.predict, or export a single-member model"
        )
    if samples is None:
        module = to_deterministic(model)
        if temperature_of(module) is not None:  # a calibrated model's logits, tempered
            module = _FirstOutput(module)
    else:
        module = MonteCarloPredictive(model, check_num_samples(samples))
    return module.eval().requires_grad_(False)


def _check_example(example_input: object) -> Tensor:
    if not isinstance(example_input, Tensor):
        raise InvalidTypeError(
            f"example_input must be a torch.Tensor, got {type(example_input).__name__}"
        )
    if not example_input.is_floating_point():
        raise InvalidTypeError(
            f"example_input must be a float tensor (normalised images), got {example_input.dtype}"
        )
    if example_input.dim() < 2 or example_input.shape[0] < 1:
        raise ModelInputError(
            f"example_input must be a batch of one or more inputs, (N, C, H, W) for images, "
            f"got shape {tuple(example_input.shape)}"
        )
    return example_input


def _example_for(module: nn.Module, example_input: Tensor) -> Tensor:
    """The example on the module's device and dtype, with at least two rows: torch.export
    would take a batch of one for a constant 1."""
    first = next(iter(module.parameters()), None)
    if first is not None:
        example_input = example_input.to(device=first.device, dtype=first.dtype)
    if example_input.shape[0] == 1:
        example_input = example_input.expand(2, *example_input.shape[1:])
    return example_input.detach().contiguous()


def _check_fits(module: nn.Module, example: Tensor, model_name: str) -> Tensor | tuple[Tensor, ...]:
    try:
        with torch.no_grad():
            output: Tensor | tuple[Tensor, ...] = module(example)
            return output
    except RuntimeError as error:
        if not is_input_shape_error(error):
            raise
        raise ModelInputError(
            f"an example input of shape {tuple(example.shape[1:])} per example does not fit "
            f"{model_name}: {str(error).splitlines()[0]}"
        ) from error


def _trace(
    model: nn.Module, example_input: Tensor, samples: int | None
) -> tuple[torch.export.ExportedProgram, Tensor]:
    """``torch.export`` of :func:`exportable_module`, the batch dimension dynamic."""
    example_input = _check_example(example_input)
    module = exportable_module(model, samples=samples)
    example = _example_for(module, example_input)
    model_name = type(model).__name__
    if not isinstance(_check_fits(module, example, model_name), Tensor) and samples is None:
        module = _FirstOutput(module)
    batch = torch.export.Dim("batch")
    try:
        with torch.no_grad():
            program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
    except torch.OutOfMemoryError:
        raise
    except RuntimeError as error:
        raise ExportError(
            f"torch.export cannot trace {model_name} with a dynamic batch size: "
            f"{str(error).strip().splitlines()[0]}"
        ) from error
    return program, example


def _write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write through ``write(tmp)`` to a temporary sibling, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        write(tmp)
    return path


def export_program(
    model: nn.Module, example_input: Tensor, path: str | Path, *, samples: int | None = None
) -> Path:
    """Save ``model``'s posterior-mean network, or its ``S``-sample predictive, as a
    ``torch.export`` program (``torch.export.save``, a ``.pt2`` file).

    Load it with ``torch.export.load(path).module()``; the predictive draws its weights
    from PyTorch's global generator (seed it with ``torch.manual_seed``).

    Args:
        model: a Bayesian (or plain) classifier; not modified.
        example_input: one batch ``(N, ...)`` of normalised inputs, any ``N``.
        path: the file to write (parent folders are created).
        samples: None for the mean network ``input -> logits``; ``S`` for the
            Monte-Carlo predictive ``input -> (mean_probs, aleatoric, epistemic)``.

    Returns:
        ``path``.

    Raises:
        ModelInputError: the example does not fit the model.
        ExportError: ``torch.export`` cannot trace the model.
    """
    program, _ = _trace(model, example_input, samples)

    def write(tmp: Path) -> None:
        buffer = io.BytesIO()  # torch.export.save wants a .pt2 name or a buffer
        torch.export.save(program, buffer)
        tmp.write_bytes(buffer.getvalue())

    return _write(path, write)


def export_onnx(
    model: nn.Module, example_input: Tensor, path: str | Path, *, samples: int | None = None
) -> Path:
    """Save ``model``'s posterior-mean network, or its ``S``-sample predictive, as ONNX.

    The graph's input is ``"input"`` (batch dimension dynamic); its outputs are
    ``"logits"`` (mean network) or ``"mean_probs"``, ``"aleatoric"``, ``"epistemic"``
    (predictive, ``S`` weight draws per run by ``RandomNormalLike``). onnxruntime seeds
    each random op when a session is created, from ``onnxruntime.set_seed``'s value or
    else one per process: each run of a session draws anew, but a second session in
    the same process repeats the first one's draws, so keep one session open.

    Args:
        model: a Bayesian (or plain) classifier; not modified.
        example_input: one batch ``(N, ...)`` of normalised inputs, any ``N``.
        path: the ``.onnx`` file to write (parent folders are created).
        samples: None for the mean network, ``S`` for the Monte-Carlo predictive.

    Returns:
        ``path``.

    Raises:
        ModelInputError: the example does not fit the model.
        ExportError: the model cannot be traced or translated, or the ``onnx`` extra
            (onnx, onnxscript) is not installed.
    """
    missing = [name for name in ("onnx", "onnxscript") if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(
            f"ONNX export needs {' and '.join(missing)}: pip install 'bayescnn[onnx]'"
        )
    program, example = _trace(model, example_input, samples)
    outputs = list(MEAN_OUTPUTS if samples is None else PREDICTIVE_OUTPUTS)

    def write(tmp: Path) -> None:
        try:
            torch.onnx.export(
                program,
                (example,),
                str(tmp),
                input_names=[INPUT_NAME],
                output_names=outputs,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
        except torch.onnx.OnnxExporterError as error:
            raise ExportError(
                f"the ONNX exporter cannot translate {type(model).__name__}: "
                f"{str(error).strip().splitlines()[0]}"
            ) from error

    return _write(path, write)


_EXPORTERS: dict[ExportFormat, Callable[..., Path]] = {
    ExportFormat.ONNX: export_onnx,
    ExportFormat.TORCH_EXPORT: export_program,
}


def export(
    model: nn.Module,
    example_input: Tensor,
    path: str | Path,
    *,
    format: str | ExportFormat = ExportFormat.ONNX,
    samples: int | None = None,
) -> Path:
    """:func:`export_onnx` (``format="onnx"``) or :func:`export_program`
    (``format="torch-export"``).

    Raises:
        UnknownNameError: an unknown format.
    """
    exporter = _EXPORTERS[ExportFormat.parse(format)]
    return exporter(model, example_input, path, samples=samples)
