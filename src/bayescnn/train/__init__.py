"""Training: the ELBO, KL-weight schedules, the loop, evaluation and run folders."""

from bayescnn.train.beta import KLWeight
from bayescnn.train.config import TrainConfig, read_config_file
from bayescnn.train.errors import DivergenceError
from bayescnn.train.evaluate import (
    classification_metrics,
    evaluate,
    predictive_probs,
)
from bayescnn.train.loop import Trainer, fit, resume
from bayescnn.train.objective import elbo_loss, expected_nll, predictive_nll
from bayescnn.train.run_files import LoadedRun, RunFiles, build_model, find_checkpoint, load_run

__all__ = [
    "DivergenceError",
    "KLWeight",
    "LoadedRun",
    "RunFiles",
    "TrainConfig",
    "Trainer",
    "build_model",
    "classification_metrics",
    "elbo_loss",
    "evaluate",
    "expected_nll",
    "find_checkpoint",
    "fit",
    "load_run",
    "predictive_nll",
    "predictive_probs",
    "read_config_file",
    "resume",
]
