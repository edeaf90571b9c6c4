"""Runs from a config: the builder (names to objects), run folders, train and resume.

This is what ``bayescnn train`` uses; the library's engine is :func:`bayescnn.fit`.
"""

from bayescnn.runs.builder import (
    DataSplits,
    build_model,
    build_objective,
    build_optimizer,
    build_posterior,
    build_prior,
    build_scheduler,
    load_splits,
    make_loader,
)
from bayescnn.runs.choices import OPTIMIZERS, SCHEDULERS
from bayescnn.runs.config import (
    CHOICES,
    NOT_COMPARED_KEYS,
    TrainConfig,
    read_config_file,
    write_config_file,
)
from bayescnn.runs.files import (
    LoadedRun,
    RunFiles,
    find_checkpoint,
    load_run,
    load_trained_model,
    open_run,
)
from bayescnn.runs.run import default_run_dir, resume_run, score_test_set, train_run
from bayescnn.runs.run_progress import (
    RunProgress,
    matching_run_progress,
    read_run_config,
    read_run_progress,
    resume_config,
)
from bayescnn.runs.scoring import build_test_report, summarize_report

__all__ = [
    "CHOICES",
    "NOT_COMPARED_KEYS",
    "OPTIMIZERS",
    "SCHEDULERS",
    "DataSplits",
    "LoadedRun",
    "RunFiles",
    "RunProgress",
    "TrainConfig",
    "build_model",
    "build_objective",
    "build_optimizer",
    "build_posterior",
    "build_prior",
    "build_scheduler",
    "build_test_report",
    "default_run_dir",
    "find_checkpoint",
    "load_run",
    "load_splits",
    "load_trained_model",
    "make_loader",
    "matching_run_progress",
    "open_run",
    "read_config_file",
    "read_run_config",
    "read_run_progress",
    "resume_config",
    "resume_run",
    "score_test_set",
    "summarize_report",
    "train_run",
    "write_config_file",
]
