"""The training loop: ELBO minimisation with validation, checkpoints, resume and a test report."""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from bayescnn.data import ImageData, InMemoryLoader, get_spec, load_dataset, train_valid_split
from bayescnn.data.loader import derive_seed
from bayescnn.io import check_writable_dir, load_checkpoint, load_model_state, save_checkpoint
from bayescnn.nn import frozen_eval_mode, kl_divergence, sample_forward
from bayescnn.train import distributed
from bayescnn.train.beta import KLWeight
from bayescnn.train.config import TrainConfig, write_config_file
from bayescnn.train.errors import DivergenceError
from bayescnn.train.evaluate import classification_metrics, predictive_probs
from bayescnn.train.objective import elbo_loss
from bayescnn.train.run_files import RunFiles, build_model

log = logging.getLogger("bayescnn.train")


@dataclass
class DataSplits:
    """The three splits of a run, with the normalisation they share."""

    train: ImageData
    valid: ImageData
    test: ImageData
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augment: bool
    flip: bool


def load_splits(config: TrainConfig) -> DataSplits:
    """Load the dataset, take the seeded validation split and an optional training subset."""
    spec = get_spec(config.dataset)
    train, test = load_dataset(
        config.dataset, config.data_dir, download=config.download, image_size=config.image_size
    )
    if len(train) == 0:
        raise ValueError(f"dataset {config.dataset!r} has no training examples")
    train, valid = train_valid_split(train, config.valid_size, seed=config.seed)
    if config.train_subset is not None:
        train = train.subset(torch.arange(min(config.train_subset, len(train))))
        valid = valid.subset(torch.arange(min(max(config.train_subset // 4, 1), len(valid))))
    augment = spec.augment if config.augment is None else config.augment
    return DataSplits(train, valid, test, spec.mean, spec.std, augment, spec.train_flip)


def make_loader(
    data: ImageData,
    splits: DataSplits,
    config: TrainConfig,
    device: torch.device,
    *,
    train: bool,
    dist: distributed.Distributed | None = None,
) -> InMemoryLoader:
    """The in-memory loader of one split: shuffled, augmented and sharded when training."""
    return InMemoryLoader(
        data,
        config.batch_size if train else max(config.batch_size, 500),
        shuffle=train,
        mean=splits.mean,
        std=splits.std,
        seed=config.seed,
        device=device,
        augment=train and splits.augment,
        flip=splits.flip,
        rank=dist.rank if dist is not None else 0,
        world_size=dist.world_size if dist is not None else 1,
    )


def _make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    """SGD or Adam; on CUDA, Adam's fused kernel (one launch for all parameters, which
    matters for Bayesian networks: twice the parameter tensors of their frequentist twin)."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
    on_cuda = all(p.device.type == "cuda" for p in model.parameters())
    return torch.optim.Adam(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=on_cuda
    )


def _make_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer):
    if config.scheduler == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=config.patience)
    if config.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    return None


_NOISE_STREAM, _TEST_STREAM, _INIT_STREAM = 11, 12, 13


def _seed_noise(seed: int, epoch: int, stream: int, rank: int) -> None:
    """Seed the weight-noise generator from (seed, epoch, rank).

    Every epoch starts from a seed of its own, so a resumed run draws exactly the noise
    of an uninterrupted one without saving generator states, and ranks draw different
    noise while their parameters start identical.
    """
    torch.manual_seed(derive_seed(seed, epoch, stream, rank))


def _show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def default_run_dir(config: TrainConfig) -> Path:
    kind = "bayesian" if config.bayesian else "frequentist"
    name = (
        config.run_name or f"{config.dataset}-{config.model}-{kind}-{datetime.now():%Y%m%d-%H%M%S}"
    )
    return Path(config.out_dir) / name


class Trainer:
    """Trains one model on one dataset as a config says, writing a run folder.

    The loss per minibatch is the negative ELBO per training example,
    ``NLL term + beta * KL / N_train`` (:func:`bayescnn.train.objective.elbo_loss`).
    """

    def __init__(self, config: TrainConfig, run_dir: Path, *, resume: bool = False) -> None:
        self.config = config
        self.files = RunFiles(Path(run_dir))
        self.dist = distributed.setup(config.device)
        self.device = self.dist.device
        if self.dist.is_main:
            check_writable_dir(self.files.root)
            _attach_log_file(self.files.log)
        else:
            log.setLevel(logging.WARNING)  # one log: rank 0's
        self.dist.barrier()
        self.splits = load_splits(config)
        _seed_noise(config.seed, 0, _INIT_STREAM, 0)  # identical initial parameters on every rank
        self.model = build_model(config, get_spec(config.dataset)).to(self.device)
        self._check_input_shape()
        self.forward_model: nn.Module = self.model
        if config.compile:
            self.forward_model = torch.compile(self.forward_model)
        if self.dist.enabled:
            self.forward_model = torch.nn.parallel.DistributedDataParallel(
                self.forward_model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
            )
        self.optimizer = _make_optimizer(config, self.model)
        self.scheduler = _make_scheduler(config, self.optimizer)
        self.kl_weight = KLWeight.parse(config.beta)
        self.train_loader = make_loader(
            self.splits.train, self.splits, config, self.device, train=True, dist=self.dist
        )
        self.valid_loader = self._eval_loader(self.splits.valid)
        self.test_loader = self._eval_loader(self.splits.test)
        # N_train is the whole training set on every rank, not this rank's shard: each
        # rank's loss is its minibatch's mean NLL + beta * KL / N_train, and DDP averages
        # the gradients over ranks, which gives the mean NLL over the global minibatch
        # + beta * KL / N_train: exactly the single-process ELBO gradient.
        self.num_train = len(self.splits.train)
        self.history: list[dict[str, Any]] = []
        self.start_epoch = 0
        self.best_valid_nll = math.inf
        if resume:
            self._restore(self.files.last)
        elif self.dist.is_main:
            write_config_file(config, self.files.config)

    def _eval_loader(self, data: ImageData) -> InMemoryLoader:
        """This rank's disjoint share of an evaluation set (all of it in one process)."""
        shard = data.subset(torch.tensor(list(self.dist.shard(len(data))), dtype=torch.long))
        return make_loader(shard, self.splits, self.config, self.device, train=False)

    def _evaluate(self, loader: InMemoryLoader, *, samples: int, posterior_mean: bool = False):
        """Metrics over the whole set: every rank's predictions are gathered, then scored."""
        probs, labels = predictive_probs(
            self.model, loader, samples=samples, posterior_mean=posterior_mean
        )
        return classification_metrics(self.dist.gather_rows(probs), self.dist.gather_rows(labels))

    def _check_input_shape(self) -> None:
        images = self.splits.train.images
        x = torch.zeros((1, *images.shape[1:]), device=self.device)
        try:
            with torch.no_grad(), frozen_eval_mode(self.model):  # BatchNorm stats untouched
                self.model(x)
        except RuntimeError as error:
            raise ValueError(
                f"model {self.config.model!r} cannot take {tuple(images.shape[1:])} images "
                f"from {self.config.dataset!r}: {str(error).splitlines()[0]}"
            ) from None

    # -- checkpoints -------------------------------------------------------------------
    def _save(self, path: Path, epoch: int) -> None:
        if not self.dist.is_main:
            return
        save_checkpoint(
            path,
            model_state=self.model.state_dict(),
            metadata={
                "config": self.config.to_dict(),
                "epoch": epoch,
                "best_valid_nll": self.best_valid_nll,
                "history": self.history,
            },
            extra={
                "optimizer": self.optimizer.state_dict(),
                "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            },
        )

    def _restore(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"cannot resume: {path} does not exist (no epoch finished yet)")
        checkpoint = load_checkpoint(path, map_location=self.device)
        load_model_state(self.model, checkpoint.model_state)
        self.optimizer.load_state_dict(checkpoint.extra["optimizer"])
        if self.scheduler is not None and checkpoint.extra["scheduler"] is not None:
            self.scheduler.load_state_dict(checkpoint.extra["scheduler"])
        self.start_epoch = checkpoint.metadata["epoch"] + 1
        self.best_valid_nll = checkpoint.metadata["best_valid_nll"]
        self.history = checkpoint.metadata["history"]
        log.info("resumed from %s at epoch %d", path, self.start_epoch + 1)

    # -- one epoch ---------------------------------------------------------------------
    def _train_epoch(self, epoch: int) -> dict[str, float]:
        config, model = self.config, self.model
        model.train()
        self.train_loader.set_epoch(epoch)
        _seed_noise(config.seed, epoch, _NOISE_STREAM, self.dist.rank)
        num_batches = len(self.train_loader)
        sums = torch.zeros(4, device=self.device)  # loss, nll, correct, examples
        kl = torch.zeros((), device=self.device)
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16) if config.amp else nullcontext()
        )
        bar = tqdm(
            self.train_loader,
            desc=f"epoch {epoch + 1}/{config.epochs}",
            leave=False,
            disable=not _show_progress(),
        )
        for step, (inputs, labels) in enumerate(bar):
            with autocast:
                if config.train_samples == 1:
                    logits = self.forward_model(inputs).unsqueeze(0)
                else:
                    logits = sample_forward(self.forward_model, inputs, config.train_samples)
            kl = kl_divergence(model, validate=False).to(self.device) if config.bayesian else kl
            beta = self.kl_weight(step, num_batches, epoch, config.epochs)
            loss, nll = elbo_loss(
                logits.float(),
                labels,
                kl,
                beta=beta,
                num_train=self.num_train,
                objective=config.objective,
            )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            self.optimizer.step()
            with torch.no_grad():
                correct = (logits.mean(0).argmax(-1) == labels).sum()
                sums += torch.stack(
                    [
                        loss.detach() * len(labels),
                        nll.detach() * len(labels),
                        correct,
                        torch.tensor(len(labels), device=self.device),
                    ]
                )
            if (step + 1) % config.log_every == 0 or step + 1 == num_batches:
                self._check_finite(sums[0], kl, epoch, step)
                bar.set_postfix(loss=f"{(sums[0] / sums[3]).item():.4f}")
        if self.dist.enabled:
            torch.distributed.all_reduce(sums)  # sums and counts over all ranks
        totals = sums.tolist()
        return {
            "train_loss": totals[0] / totals[3],
            "train_nll": totals[1] / totals[3],
            "train_acc": totals[2] / totals[3],
            "train_kl": float(kl.detach()),
        }

    def _check_finite(
        self, loss_sum: torch.Tensor, kl: torch.Tensor, epoch: int, step: int
    ) -> None:
        if not (torch.isfinite(loss_sum) and torch.isfinite(kl)):
            raise DivergenceError(
                f"the loss or KL became non-finite in epoch {epoch + 1} by step {step + 1}; "
                f"try a lower --lr (now {self.config.lr}) or a smaller --posterior-rho-init; "
                f"the last good checkpoint is {self.files.last}"
            )

    # -- the run -----------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        """Train for the remaining epochs, then evaluate the best checkpoint on the test set."""
        config = self.config
        log.info(
            "training %s %s on %s: %d train / %d valid / %d test examples, device %s",
            "Bayesian" if config.bayesian else "frequentist",
            config.model,
            config.dataset,
            self.num_train,
            len(self.splits.valid),
            len(self.splits.test),
            self.device,
        )
        for epoch in range(self.start_epoch, config.epochs):
            started = time.perf_counter()
            row: dict[str, Any] = {"epoch": epoch + 1, **self._train_epoch(epoch)}
            if len(self.splits.valid):
                valid = self._evaluate(self.valid_loader, samples=config.valid_samples)
                row |= {f"valid_{k}": v for k, v in valid.items()}
            row["lr"] = self.optimizer.param_groups[0]["lr"]
            row["seconds"] = time.perf_counter() - started
            monitored = row.get("valid_nll", row["train_nll"])
            if self.scheduler is not None:
                if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    self.scheduler.step(monitored)
                else:
                    self.scheduler.step()
            self.history.append(row)
            improved = monitored < self.best_valid_nll
            if improved:
                self.best_valid_nll = monitored
            self._save(self.files.last, epoch)
            if improved:
                self._save(self.files.best, epoch)
            if self.dist.is_main:
                self.files.write_metrics(self.history)
            log.info("%s", _format_row(row))
        return self.test()

    def test(self) -> dict[str, Any]:
        """Evaluate the best checkpoint on the test set; write ``test.json``."""
        self.dist.barrier()  # rank 0 has written the checkpoints
        _seed_noise(self.config.seed, self.config.epochs, _TEST_STREAM, self.dist.rank)
        best = load_checkpoint(
            self.files.best if self.files.best.is_file() else self.files.last,
            map_location=self.device,
        )
        load_model_state(self.model, best.model_state)
        report: dict[str, Any] = {
            "epoch": best.metadata["epoch"] + 1,
            "test_examples": len(self.splits.test),
        }
        if self.config.bayesian:
            report["samples"] = self.config.test_samples
            report["predictive"] = self._evaluate(
                self.test_loader, samples=self.config.test_samples
            )
            report["posterior_mean"] = self._evaluate(
                self.test_loader, samples=1, posterior_mean=True
            )
        else:
            report["predictive"] = self._evaluate(self.test_loader, samples=1)
        if self.dist.is_main:
            self.files.test.write_text(json.dumps(report, indent=2) + "\n")
        log.info("test: %s", json.dumps(report))
        return report


def _format_row(row: dict[str, Any]) -> str:
    return "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())


def _attach_log_file(path: Path) -> None:
    for handler in list(log.handlers):
        if isinstance(handler, logging.FileHandler):
            log.removeHandler(handler)
            handler.close()
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def _fit_then_leave_group(trainer: Trainer) -> dict[str, Any]:
    try:
        return trainer.fit()
    finally:
        distributed.teardown(trainer.dist)


def fit(config: TrainConfig, *, run_dir: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Train a new run; returns its folder and the test report."""
    folder = Path(run_dir) if run_dir is not None else default_run_dir(config)
    if (folder / "last.safetensors").exists():
        raise FileExistsError(
            f"{folder} already holds a run; use --resume {folder} or another --run-dir"
        )
    return folder, _fit_then_leave_group(Trainer(config, folder))


def resume(run_dir: str | Path) -> tuple[Path, dict[str, Any]]:
    """Continue an interrupted run from its last checkpoint, exactly where it stopped."""
    folder = Path(run_dir)
    last = RunFiles(folder).last
    if not last.is_file():
        raise FileNotFoundError(f"cannot resume {folder}: it holds no last.safetensors")
    config = TrainConfig.from_dict(load_checkpoint(last).metadata["config"])
    return folder, _fit_then_leave_group(Trainer(config, folder, resume=True))
