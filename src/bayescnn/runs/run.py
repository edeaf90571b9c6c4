"""A training run from a config: build, :func:`bayescnn.fit` with the run-folder
callbacks, then score the best checkpoint on the test set."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import torch

from bayescnn.data import ImageData, InMemoryLoader
from bayescnn.errors import (
    InvalidArgumentError,
    RunExistsError,
)
from bayescnn.io import (
    atomic_write_bytes,
    check_writable_dir,
    load_checkpoint,
    load_model_state,
    read_checkpoint_metadata,
)
from bayescnn.nn import describe
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
from bayescnn.runs.calibration import calibrate_on_validation, write_calibration
from bayescnn.runs.config import TrainConfig, write_config_file
from bayescnn.runs.files import RunFiles
from bayescnn.runs.run_progress import matching_run_progress, read_run_progress, resume_config
from bayescnn.runs.scoring import build_test_report, summarize_report
from bayescnn.runs.threshold import (
    THRESHOLD_FILE,
    uncertainty_threshold,
    write_uncertainty_threshold,
)
from bayescnn.runs.validation import validation_logits
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
    "finish_run",
    "resume_run",
    "score_test_set",
    "train_run",
    "uncertainty_threshold",
    "write_uncertainty_threshold",
]

log = logging.getLogger("bayescnn.train")


def default_run_dir(config: TrainConfig) -> Path:
    """``OUT_DIR/RUN_NAME``, by default ``OUT_DIR/DATASET-MODEL-KIND-TIME``."""
    kind = _kind(config).replace("-", "")
    model = config.model.replace(":", "-").replace(".", "-")
    name = config.run_name or f"{config.dataset}-{model}-{kind}-{datetime.now():%Y%m%d-%H%M%S}"
    return Path(config.out_dir) / name


def _kind(config: TrainConfig) -> str:
    """ "frequentist", "bayesian" (mean-field) or "rank-1" (the posterior family)."""
    if not config.bayesian:
        return "frequentist"
    return "rank-1" if config.posterior_family == "rank1" else "bayesian"


def train_run(
    config: TrainConfig,
    run_dir: str | Path | None = None,
    *,
    resume: bool | Literal["if-exists"] = False,
    callbacks: Sequence[Callback] = (),
    dist: distributed.Distributed | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Train the run a config describes into a run folder; returns it and the test report.

    The folder gets ``config.yaml``, ``metrics.jsonl``, ``last``/``best.safetensors``,
    ``test.json`` and, with ``config.tensorboard``, ``tensorboard/``. A new run refuses a
    folder that already holds one. Training, validation and test passes show their
    progress (:mod:`bayescnn.runtime.progress`).

    Args:
        resume: ``True``: continue the run in ``run_dir`` from its last checkpoint,
            exactly; with a ``config.epochs`` other than the run's, train it to that many
            epochs in all (see :func:`resume_config`). ``"if-exists"``: the same command
            can be run again after a crash or a requeue: continue the run in ``run_dir``
            if it holds one, of the same config (:func:`matching_run_progress`; refused
            otherwise), return a finished one's test report untrained, and start afresh
            where no epoch finished yet. ``False``: a new run (refused in a folder that
            holds one).
        callbacks: more :class:`bayescnn.train.Callback` s, after the run's own.
        dist: this process's place under torchrun (default: from the process group).

    Raises:
        RunExistsError: a new run in a folder that holds one.
        RunMismatchError: ``"if-exists"`` and the folder holds a run of another config.
    """
    if resume not in (True, False, "if-exists"):
        raise InvalidArgumentError(f"resume must be True, False or 'if-exists', got {resume!r}")
    files = RunFiles(Path(run_dir) if run_dir is not None else default_run_dir(config))
    if dist is None:
        dist = distributed.current(resolve_device(config.device))
    if resume == "if-exists":
        # Every rank reads the folder: after this barrier (an earlier call's writes are
        # done) and before the one below (no write that changes the answer comes first).
        dist.barrier()
        progress = matching_run_progress(config, files.root)
        if progress is not None and progress.finished:
            log.info(
                "%s is finished: %d epochs trained and tested", files.root, progress.epochs_done
            )
            return files.root, json.loads(files.test.read_text())
        resume = progress is not None
    if not resume and files.last.exists():
        raise RunExistsError(
            f"{files.root} already holds a run; use --resume {files.root} (or add "
            "--resume-if-exists to make this command continue it) or another --run-dir"
        )
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
        _kind(config).replace("bayesian", "Bayesian"),
        config.model,
        config.dataset,
        len(splits.train),
        len(splits.valid),
        len(splits.test),
        device,
    )
    log.info("network: %s", describe(model))
    # made before training so that a missing tensorboard package fails the run at once
    tensorboard = [TensorBoardLogger(files.root / "tensorboard")] if config.tensorboard else []
    if dist.is_main:  # a resumed run's, anew: its epochs may have changed
        write_config_file(config, files.config)
    advice = (
        "try a lower --lr (now {lr}) or a smaller --posterior-rho-init; "
        f"the last good checkpoint is {files.last}"
    )
    own: list[Callback] = [
        PosteriorDiagnostics(),  # adds to each epoch's row before the checkpoint keeps it
        Checkpoints(files.root, metadata={"config": config.to_dict()}, resume=resume),
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
    return files.root, finish_run(model, splits, config, files, dist)


def finish_run(
    model: torch.nn.Module,
    splits: DataSplits,
    config: TrainConfig,
    files: RunFiles,
    dist: distributed.Distributed,
) -> dict[str, Any]:
    """What ends a run (and ``bayescnn calibrate RUN``): load the best checkpoint,
    calibrate it unless ``config.calibrate`` is off, write the uncertain flag's thresholds
    (of the calibrated predictive) and ``test.json``; returns the test report.

    One Monte-Carlo pass over each split: the validation split's raw logit samples
    (:func:`~bayescnn.runs.validation.validation_logits`) serve the temperature's fit and
    every threshold, the test set's both the raw and the calibrated predictive
    (:func:`build_test_report`); the posterior-mean network takes one deterministic pass
    more over the test set.
    """
    return _finish(model, splits, config, files, dist, thresholds=True)


def _shard_loader(
    data: ImageData, splits: DataSplits, config: TrainConfig, dist: distributed.Distributed
) -> InMemoryLoader:
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
    with the run's epoch and test-set size); write ``test.json``.

    With ``config.calibrate`` (the default) the checkpoint's temperature is first fitted
    on the validation split and written to ``calibration.json``
    (:mod:`bayescnn.runs.calibration`), so the report is that of the calibrated
    predictive. :func:`finish_run` does this and writes the thresholds too, from the same
    validation pass.
    """
    return _finish(model, splits, config, files, dist, thresholds=False)


def _finish(
    model: torch.nn.Module,
    splits: DataSplits,
    config: TrainConfig,
    files: RunFiles,
    dist: distributed.Distributed,
    *,
    thresholds: bool,
) -> dict[str, Any]:
    """Load the best checkpoint, draw the validation split once for the calibration (every
    rank) and, with ``thresholds``, the thresholds (rank 0), then score the test set."""
    dist.barrier()  # rank 0 has written the checkpoints
    path = files.best if files.best.is_file() else files.last
    best = load_checkpoint(path, map_location=dist.device)
    load_model_state(model, best.model_state)
    last = read_checkpoint_metadata(files.last) if files.last.is_file() else best.metadata
    report: dict[str, Any] = {
        "epoch": best.metadata["epoch"] + 1,
        # RunProgress.tested: this report scores the run as trained to this many epochs
        "epochs_trained": last["epoch"] + 1,
        "test_examples": len(splits.test),
    }
    thresholds = thresholds and dist.is_main
    valid_logits = (
        validation_logits(model, splits, config, progress=dist.is_main)
        if config.calibrate or thresholds
        else None
    )
    fit = (
        calibrate_on_validation(model, splits, config, valid_logits=valid_logits)
        if config.calibrate and valid_logits is not None
        else None
    )
    if fit is not None:
        report["calibration"] = fit.to_dict()
        if dist.is_main:
            write_calibration(fit, files.root, path, best.metadata["epoch"])
        log.info("calibration: %s (calibration.json)", fit.summary())
    if thresholds:  # of the calibrated predictive
        write_uncertainty_threshold(model, splits, config, files.root, valid_logits=valid_logits)
    del valid_logits  # S x N x K: not kept through the test pass
    loader = _shard_loader(splits.test, splits, config, dist)
    with seeded(config.seed, dist.device, epoch=config.epochs, stream=Stream.TEST, rank=dist.rank):
        report |= build_test_report(
            model, loader, samples=config.test_samples, dist=dist, progress=dist.is_main
        )
    if dist.is_main:  # atomically: a run with test.json is finished (RunProgress)
        atomic_write_bytes(files.test, (json.dumps(report, indent=2) + "\n").encode())
    log.info("test: %s (test.json)", summarize_report(report))
    return report


def resume_run(
    run_dir: str | Path, *, epochs: int | None = None, **options: Any
) -> tuple[Path, dict[str, Any]]:
    """Continue an interrupted run from its last checkpoint, exactly where it stopped;
    with ``epochs``, train it (finished or not) to that many epochs in all.

    The history, the optimiser and the learning-rate schedule continue (a cosine schedule
    is stretched to the new total); ``config.yaml`` and the checkpoints record the new
    ``epochs``. A finished run asked for no more epochs is not trained again: its test
    report is returned as it is.
    """
    progress = read_run_progress(run_dir)
    if progress.finished and epochs in (None, progress.config.epochs):
        log.info("%s is finished: %d epochs trained and tested", run_dir, progress.epochs_done)
        return Path(run_dir), json.loads(RunFiles(Path(run_dir)).test.read_text())
    return train_run(resume_config(run_dir, epochs), run_dir, resume=True, **options)
