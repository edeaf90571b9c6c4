"""Exceptions raised when exporting a model."""

from __future__ import annotations

from bayescnn.errors import BayesCNNError

__all__ = ["ExportError"]


class ExportError(BayesCNNError, RuntimeError):
    """``torch.export`` or the ONNX exporter cannot trace or translate the model
    (data-dependent control flow, a batch size fixed in the code, unsupported ops)."""
