"""Train any bayescnn model with Lightning (the optional extra ``bayescnn[lightning]``).

:class:`BayesianClassifier` wraps a model in a ``lightning.LightningModule`` whose
training step is :class:`bayescnn.ELBO`: the loss of a minibatch B is

    loss = (1/|B|) sum_{i in B} -log p(y_i | x_i, w) + beta * KL(q || p) / N,   w ~ q,

with N the size of the whole training set (Blundell et al. 2015, eq. 8). Under
Lightning's DDP each process takes this loss on its own share of the global minibatch
and DDP averages the gradients, so the update is the single-process ELBO gradient of
the global minibatch: give ``num_train`` the whole training set's size, never a rank's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, cast

import torch
from torch import nn
from torch.utils.data import DistributedSampler

from bayescnn import defaults
from bayescnn.deprecation import renamed_keyword
from bayescnn.errors import InvalidArgumentError, InvalidTypeError, MissingExtraError
from bayescnn.nn import default_samples, logits_of
from bayescnn.train import ELBO, Progress, classification_metrics, default_optimizer
from bayescnn.uncertainty import predict_loader

try:
    import lightning as L
    from torchmetrics import MeanMetric
except ImportError as error:
    raise MissingExtraError(
        f"bayescnn.lightning needs Lightning, which is not installed ({error}); "
        "install it with: pip install 'bayescnn[lightning]'",
        name="lightning",
    ) from error

__all__ = ["BayesianClassifier", "MissingExtraError"]

OptimizerFactory = Callable[[Iterator[nn.Parameter]], Any]
"""``factory(parameters)`` -> an optimizer, or anything ``configure_optimizers`` may return."""

_TRAIN_METRICS = ("loss", "nll", "kl", "accuracy")
_SCHEDULES_NEEDING_STEPS = ("blundell", "soenderby")


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise InvalidArgumentError(f"{name} must be >= 1, got {value}")
    return value


def _positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise InvalidArgumentError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


class BayesianClassifier(L.LightningModule):
    """A classifier trained by variational inference, as a ``LightningModule``.

    The training step minimises :class:`bayescnn.ELBO`, per example
    ``mean NLL + beta * KL / num_train``, with the KL weight's schedule evaluated at the
    trainer's epoch and step, and logs ``train/loss``, ``train/nll``, ``train/kl``,
    ``train/accuracy`` (per step and per epoch, the epoch means over every process)
    and ``train/beta``. Validation scores the Monte-Carlo predictive
    ``p(y | x) = (1/S) sum_s softmax(f(x; w_s))`` with ``S = valid_samples``, in eval mode
    (BatchNorm frozen), over the whole validation set: every process's probabilities
    are gathered and ``valid/accuracy``, ``valid/nll``, ``valid/brier`` and
    ``valid/ece`` computed once at the end of the epoch.

    Example::

        module = BayesianClassifier(bayescnn.to_bayesian(net), num_train=len(train_set))
        trainer = lightning.Trainer(max_epochs=10)
        trainer.fit(module, train_loader, valid_loader)
        probs = torch.cat(trainer.predict(module, test_loader))   # MC predictive

    Args:
        model: the network; it returns logits ``(B, K)`` or a ``(logits, kl)`` pair.
        num_train: N, the number of examples in the whole training set (under DDP all
            processes' shares together).
        beta: KL weight: a number or a schedule name ('standard', 'blundell',
            'soenderby'; see :class:`bayescnn.train.KLWeight`).
        train_samples: Monte-Carlo samples of the likelihood term per training step.
        likelihood: the ELBO's likelihood term, 'mean' (the expected NLL) or 'logmeanexp'.
        lr: Adam's learning rate (when ``optimizer`` is not given).
        optimizer: ``factory(parameters)`` returning an optimizer (or anything
            ``configure_optimizers`` may return); default Adam(lr). It is not saved in
            checkpoints: pass it again to ``load_from_checkpoint`` to resume training.
        valid_samples: Monte-Carlo samples of the predictive in validation (None:
            :data:`~bayescnn.defaults.VALID_SAMPLES`, or at most 8 of each member of a
            network of members, :func:`bayescnn.nn.default_samples`).
        predict_samples: Monte-Carlo samples of the predictive in ``trainer.predict``
            (None: the model's default, as :func:`bayescnn.predict`).
    """

    @renamed_keyword("bayescnn.lightning.BayesianClassifier", "objective", "likelihood")
    def __init__(
        self,
        model: nn.Module,
        num_train: int,
        *,
        beta: float | str = 1.0,
        train_samples: int = 1,
        likelihood: str = "mean",
        lr: float = defaults.LR,
        optimizer: OptimizerFactory | None = None,
        valid_samples: int | None = None,
        predict_samples: int | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise InvalidTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if optimizer is not None and not callable(optimizer):
            raise InvalidTypeError(
                f"optimizer must be a factory, optimizer(parameters) -> Optimizer; got {optimizer!r}"
            )
        self.model = model
        self.elbo = ELBO(
            num_train,
            beta=beta,
            train_samples=train_samples,
            likelihood=likelihood,
        )
        self.lr = _positive_float("lr", lr)
        self.valid_samples = _positive_int(
            "valid_samples",
            default_samples(model, valid_samples, one_network=defaults.VALID_SAMPLES),
        )
        self.predict_samples = _positive_int(
            "predict_samples", default_samples(model, predict_samples)
        )
        self.optimizer_factory = optimizer
        self.save_hyperparameters(ignore=["model", "optimizer"])
        self.train_metrics = nn.ModuleDict({name: MeanMetric() for name in _TRAIN_METRICS})
        self._valid_probs: list[torch.Tensor] = []
        self._valid_labels: list[torch.Tensor] = []

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """The model's logits ``(B, K)`` for one posterior sample (or the posterior mean)."""
        return logits_of(self.model(inputs))

    @torch.no_grad()
    def predictive(self, inputs: torch.Tensor, samples: int | None = None) -> torch.Tensor:
        """``(1/S) sum_s softmax(f(x; w_s))``, ``(B, K)`` on the inputs' device, with
        ``S = samples`` (default ``predict_samples``; one pass for a network that does not
        sample), in eval mode with BatchNorm frozen:
        :func:`bayescnn.uncertainty.predict_loader` on one batch."""
        prediction = predict_loader(
            self.model,
            [inputs],
            samples=self.predict_samples if samples is None else samples,
            decomposition="none",
            scores="none",
        )
        return prediction.probs.to(inputs.device)

    def progress(self, batch_idx: int) -> Progress:
        """Where minibatch ``batch_idx`` of the current epoch is, for the KL weight's schedule."""
        trainer = self.trainer
        steps, epochs = trainer.num_training_batches, trainer.max_epochs
        if (epochs is None or epochs < 0) and trainer.max_steps > 0 and math.isfinite(steps):
            epochs = math.ceil(trainer.max_steps * trainer.accumulate_grad_batches / steps)
        known = math.isfinite(steps) and epochs is not None and epochs > 0
        if not known and self.elbo.kl_weight.schedule in _SCHEDULES_NEEDING_STEPS:
            raise InvalidArgumentError(
                f"beta={self.elbo.kl_weight.schedule!r} needs the number of minibatches per "
                "epoch and of epochs: give the trainer a sized training loader and "
                "max_epochs (or max_steps)"
            )
        return Progress(
            batch_idx,
            int(steps) if math.isfinite(steps) else batch_idx + 1,
            self.current_epoch,
            int(epochs) if known and epochs is not None else self.current_epoch + 1,
        )

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        """The ELBO of this process's minibatch: ``mean NLL + beta * KL / num_train``."""
        inputs, labels = batch
        terms = self.elbo(self.model, inputs, labels, progress=self.progress(batch_idx))
        with torch.no_grad():
            accuracy = (terms.logits.mean(0).argmax(-1) == labels).float().mean()
            values = {"loss": terms.loss, "nll": terms.nll, "kl": terms.kl, "accuracy": accuracy}
            for name, value in values.items():
                # ModuleDict's items are typed as Modules
                metric = cast(MeanMetric, self.train_metrics[name])
                metric(value.detach().float(), weight=labels.shape[0])
                self.log(f"train/{name}", metric, on_step=True, on_epoch=True)
        self.log("train/beta", terms.beta, on_step=True, on_epoch=False)
        return terms.loss

    def on_validation_epoch_start(self) -> None:
        self._valid_probs, self._valid_labels = [], []

    def validation_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        """Keep this minibatch's Monte-Carlo predictive; the metrics come at the epoch's end."""
        if dataloader_idx != 0:
            raise InvalidArgumentError(
                "BayesianClassifier validates on one validation loader; got several"
            )
        inputs, labels = batch
        self._valid_probs.append(self.predictive(inputs, self.valid_samples))
        self._valid_labels.append(labels)

    def on_validation_epoch_end(self) -> None:
        """Gather every process's predictions and log the metrics of the whole set."""
        if not self._valid_probs:
            return
        probs = self._gather_rows(torch.cat(self._valid_probs))
        labels = self._gather_rows(torch.cat(self._valid_labels))
        self._valid_probs, self._valid_labels = [], []
        metrics = classification_metrics(probs, labels)
        # equal on every process already; sync_dist spares us Lightning's warning
        self.log_dict({f"valid/{k}": v for k, v in metrics.items()}, sync_dist=True)

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> torch.Tensor:
        """The Monte-Carlo predictive probabilities ``(B, K)`` of ``batch`` (or its inputs)."""
        inputs = batch[0] if isinstance(batch, list | tuple) else batch
        return self.predictive(inputs)

    def configure_optimizers(self) -> Any:
        """``optimizer(self.parameters())`` when a factory was given, else Adam(lr)."""
        if self.optimizer_factory is not None:
            return self.optimizer_factory(self.parameters())
        return default_optimizer(self, lr=self.lr)

    def _gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Every process's rows, in the example order of a ``DistributedSampler`` (whose
        padding duplicates are dropped), or in rank order for any other sampler."""
        if self.trainer.world_size == 1:
            return rows
        # all_gather of a tensor is a tensor (Lightning types it for any collection)
        sizes = cast(torch.Tensor, self.all_gather(torch.tensor(rows.shape[0], device=rows.device)))
        largest = int(sizes.max())
        padded = rows.new_zeros((largest, *rows.shape[1:]))
        padded[: rows.shape[0]] = rows
        gathered = cast(torch.Tensor, self.all_gather(padded))  # (world_size, largest, ...)
        dataset_size = self._distributed_dataset_size()
        if dataset_size is not None and bool((sizes == largest).all()):
            # rank r holds examples r, r + W, r + 2W, ... of the sampler's order
            interleaved = gathered.transpose(0, 1).reshape(-1, *rows.shape[1:])
            return interleaved[:dataset_size]
        return torch.cat([g[: int(n)] for g, n in zip(gathered, sizes, strict=True)])

    def _distributed_dataset_size(self) -> int | None:
        """The validation set's size when Lightning shards it with a ``DistributedSampler``."""
        loader = self.trainer.val_dataloaders
        sampler = getattr(loader, "sampler", None)
        if type(sampler) is DistributedSampler and not sampler.shuffle:
            return len(sampler.dataset)  # type: ignore[arg-type]
        return None
