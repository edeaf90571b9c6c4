"""A training run from a config: build, :func:`bayescnn.fit` with the run-folder
callbacks, then score the best checkpoint on the test set."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from bayescnn.errors import MissingFileError, RunExistsError
from bayescnn.io import check_writable_dir, load_checkpoint, load_model_state
from bayescnn.runs.builder import (
    DataSplits,
    build_model,
    build_objective,
    build_optimizer,
    build_scheduler,
    check_input_shape,
    load_splits,
    make_loader,
)
from bayescnn.runs.config import TrainConfig, write_config_file
from bayescnn.runs.files import RunFiles
from bayescnn.runs.scoring import build_test_report, summarize_report
from bayescnn.runs.threshold import (
    THRESHOLD_FILE,
    uncertainty_threshold,
    write_uncertainty_threshold,
)
from bayescnn.runtime.device import resolve_device
from bayescnn.runtime.progress import with_progress
from bayescnn.seeding import Stream, seeded
from bayescnn.train import distributed
from bayescnn.train.callbacks import DivergenceGuard, MetricsFile, ProgressBar
from bayescnn.train.checkpoints import Checkpoints
from bayescnn.train.diagnostics import PosteriorDiagnostics
from bayescnn.train.engine import Callback, fit
from bayescnn.train.tensorboard import TensorBoardLogger

__all__ = [
    "THRESHOLD_FILE",
    "default_run_dir",
    "read_run_config",
    "resume_run",
    "score_test_set",
    "train_run",
    "uncertainty_threshold",
    "write_uncertainty_threshold",
]

log = logging.getLogger("bayescnn.train")


def default_run_dir(config: TrainConfig) -> Path:
    """``OUT_DIR/RUN_NAME``, by default ``OUT_DIR/DATASET-MODEL-KIND-TIME``."""
    kind = "bayesian" if config.bayesian else "frequentist"
    model = config.model.replace(":", "-").replace(".", "-")
    name = config.run_name or f"{config.dataset}-{model}-{kind}-{datetime.now():%Y%m%d-%H%M%S}"
    return Path(config.out_dir) / name


def train_run(
    config: TrainConfig,
    run_dir: str | Path | None = None,
    *,
    resume: bool = False,
    callbacks: Sequence[Callback] = (),
    dist: distributed.Distributed | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Train the run a config describes into a run folder; returns it and the test report.

    The folder gets ``config.yaml``, ``metrics.jsonl``, ``last``/``best.safetensors``,
    ``test.json`` and, with ``config.tensorboard``, ``tensorboard/``. A new run refuses a
    folder that already holds one. Training, validation and test passes show their
    progress (:mod:`bayescnn.runtime.progress`).

    Args:
        resume: continue the run in ``run_dir`` from its last checkpoint, exactly.
        callbacks: more :class:`bayescnn.train.Callback` s, after the run's own.
        dist: this process's place under torchrun (default: from the process group).
    """
    files = RunFiles(Path(run_dir) if run_dir is not None else default_run_dir(config))
    if not resume and files.last.exists():
        raise RunExistsError(
            f"{files.root} already holds a run; use --resume {files.root} or another --run-dir"
        )
    if dist is None:
        dist = distributed.current(resolve_device(config.device))
    device = dist.device
    if dist.is_main:
        check_writable_dir(files.root)
    dist.barrier()
    splits = load_splits(config)
    model = build_model(config, splits.spec).to(device)
    check_input_shape(model, splits.train.image_shape, config)
    optimizer = build_optimizer(config, model, device)
    scheduler = build_scheduler(config, optimizer)
    log.info(
        "training %s %s on %s: %d train / %d valid / %d test examples, device %s",
        "Bayesian" if config.bayesian else "frequentist",
        config.model,
        config.dataset,
        len(splits.train),
        len(splits.valid),
        len(splits.test),
        device,
    )
    # made before training so that a missing tensorboard package fails the run at once
    tensorboard = [TensorBoardLogger(files.root / "tensorboard")] if config.tensorboard else []
    if dist.is_main and not resume:
        write_config_file(config, files.config)
    advice = (
        "try a lower --lr (now {lr}) or a smaller --posterior-rho-init; "
        f"the last good checkpoint is {files.last}"
    )
    own: list[Callback] = [
        Checkpoints(files.root, metadata={"config": config.to_dict()}, resume=resume),
        PosteriorDiagnostics(),
        MetricsFile(files.metrics),
        DivergenceGuard(config.log_every, advice=advice),
        ProgressBar(config.log_every),
        *tensorboard,
    ]
    valid = _shard_loader(splits.valid, splits, config, dist) if len(splits.valid) else None
    fit(
        model,
        make_loader(
            splits.train,
            splits,
            config,
            device,
            train=True,
            rank=dist.rank,
            world_size=dist.world_size,
        ),
        with_progress(valid, "validation", enabled=dist.is_main) if valid is not None else None,
        epochs=config.epochs,
        # N_train is the whole training set on every rank, not this rank's shard: each
        # rank's loss is its minibatch's mean NLL + beta * KL / N_train, and DDP averages
        # the gradients over ranks, which gives the mean NLL over the global minibatch
        # + beta * KL / N_train: exactly the single-process ELBO gradient.
        objective=build_objective(config, len(splits.train)),
        optimizer=optimizer,
        scheduler=scheduler,
        callbacks=[*own, *callbacks],
        device=device,
        seed=config.seed,
        valid_samples=config.valid_samples,
        amp=config.amp,
        compile=config.compile,
        grad_clip=config.grad_clip,
    )
    report = score_test_set(model, splits, config, files, dist)
    if dist.is_main:
        write_uncertainty_threshold(model, splits, config, files.root)
    return files.root, report


def _shard_loader(data, splits: DataSplits, config: TrainConfig, dist: distributed.Distributed):
    """This rank's disjoint share of an evaluation set (all of it in one process)."""
    shard = data.subset(torch.tensor(list(dist.shard(len(data))), dtype=torch.long))
    return make_loader(shard, splits, config, dist.device, train=False)


def score_test_set(
    model: torch.nn.Module,
    splits: DataSplits,
    config: TrainConfig,
    files: RunFiles,
    dist: distributed.Distributed,
) -> dict[str, Any]:
    """Score the best checkpoint (else the last) on the test set (:func:`build_test_report`
    with the run's epoch and test-set size); write ``test.json``."""
    dist.barrier()  # rank 0 has written the checkpoints
    best = load_checkpoint(
        files.best if files.best.is_file() else files.last, map_location=dist.device
    )
    load_model_state(model, best.model_state)
    loader = _shard_loader(splits.test, splits, config, dist)
    report: dict[str, Any] = {
        "epoch": best.metadata["epoch"] + 1,
        "test_examples": len(splits.test),
    }
    with seeded(config.seed, dist.device, epoch=config.epochs, stream=Stream.TEST, rank=dist.rank):
        report |= build_test_report(
            model, loader, samples=config.test_samples, dist=dist, progress=dist.is_main
        )
    if dist.is_main:
        files.test.write_text(json.dumps(report, indent=2) + "\n")
    log.info("test: %s (test.json)", summarize_report(report))
    return report


def read_run_config(run_dir: str | Path) -> TrainConfig:
    """The config of the interrupted run in ``run_dir``, from its last checkpoint's header."""
    from bayescnn.io import read_checkpoint_metadata

    files = RunFiles(Path(run_dir))
    if not files.root.is_dir():
        raise MissingFileError(f"cannot resume {files.root}: no such run folder")
    if not files.last.is_file():
        raise MissingFileError(f"cannot resume {files.root}: it holds no last.safetensors")
    return TrainConfig.from_dict(read_checkpoint_metadata(files.last)["config"])


def resume_run(run_dir: str | Path, **options: Any) -> tuple[Path, dict[str, Any]]:
    """Continue an interrupted run from its last checkpoint, exactly where it stopped."""
    return train_run(read_run_config(run_dir), run_dir, resume=True, **options)
