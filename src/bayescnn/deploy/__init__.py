"""Deployment: the posterior-mean network as plain PyTorch, and ONNX / ``torch.export``.

* :func:`to_deterministic`: every Bayesian layer replaced by its ``nn`` twin at the
  posterior mean, the inverse of :func:`bayescnn.to_bayesian`.
* :class:`MonteCarloPredictive`: ``x -> (mean_probs, aleatoric, epistemic)`` with the
  weight draws inside the forward, so that it exports as one graph.
* :func:`export_onnx`, :func:`export_program` (and :func:`export`, by format name):
  either network with a dynamic batch dimension.
"""

from bayescnn.deploy.deterministic import to_deterministic
from bayescnn.deploy.errors import ExportError
from bayescnn.deploy.exporters import (
    INPUT_NAME,
    MEAN_OUTPUTS,
    PREDICTIVE_OUTPUTS,
    ExportFormat,
    export,
    export_onnx,
    export_program,
    exportable_module,
)
from bayescnn.deploy.predictive import MonteCarloPredictive, WeightSampling, entropy_terms

__all__ = [
    "INPUT_NAME",
    "MEAN_OUTPUTS",
    "PREDICTIVE_OUTPUTS",
    "ExportError",
    "ExportFormat",
    "MonteCarloPredictive",
    "WeightSampling",
    "entropy_terms",
    "export",
    "export_onnx",
    "export_program",
    "exportable_module",
    "to_deterministic",
]
