"""A run's one Monte-Carlo pass over its validation split after training.

Its raw logit samples are drawn once and read twice: by the temperature's fit
(:func:`bayescnn.calibrate_logits`, :mod:`bayescnn.runs.calibration`) and by the uncertain
flag's thresholds of the calibrated predictive (:mod:`bayescnn.runs.threshold`), which
read them through :func:`bayescnn.uncertainty.predict_from_logits`, the prediction path's
own reading of raw logits.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bayescnn.nn import default_samples, is_stochastic, module_device
from bayescnn.runs.builder import DataSplits, make_loader
from bayescnn.runs.config import TrainConfig
from bayescnn.runtime.progress import with_progress
from bayescnn.seeding import Stream, seeded
from bayescnn.uncertainty.logit_samples import sampled_batches

__all__ = ["LogitBatches", "validation_logits"]

LogitBatches = list[tuple[Tensor, Tensor | None]]
"""Raw ``(S, B, K)`` logit samples and ``(B,)`` labels of each batch of one pass (as
:func:`~bayescnn.uncertainty.sampled_batches` yields them; a labelled split's labels are
never ``None``)."""


def validation_logits(
    model: nn.Module, splits: DataSplits, config: TrainConfig, *, progress: bool = True
) -> LogitBatches | None:
    """The raw logit samples of the whole validation split, batch by batch; ``None``
    without one.

    ``config.test_samples`` samples (one for a network that does not sample), drawn on
    generators seeded from the run's seed (:data:`~bayescnn.seeding.Stream.VALID`, at
    epoch ``config.epochs``, after every training epoch's own validation draws), the same
    on every process: under torchrun every rank draws the whole split and so fits the
    same temperature without talking. Kept as drawn, on the model's device:
    ``S x N x K`` float32, 10 MB for 25 samples of 10,000 images of 10 classes.
    """
    if len(splits.valid) == 0:
        return None
    device = module_device(model) or torch.device("cpu")
    loader = make_loader(splits.valid, splits, config, device, train=False)
    samples = default_samples(model, config.test_samples) if is_stochastic(model) else 1
    desc = f"validation ({samples} samples)" if samples > 1 else "validation"
    with seeded(config.seed, device, epoch=config.epochs, stream=Stream.VALID):
        return list(
            sampled_batches(
                model,
                with_progress(loader, desc, enabled=progress),
                samples=samples,
                calibrated=False,
            )
        )
