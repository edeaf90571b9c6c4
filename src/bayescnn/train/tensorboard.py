"""A :func:`bayescnn.fit` callback writing each epoch's metrics as TensorBoard scalars.

Needs the ``tensorboard`` package (``pip install 'bayescnn[tensorboard]'``), imported only
when a :class:`TensorBoardLogger` is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bayescnn.errors import MissingExtraError
from bayescnn.train.hooks import Callback, FitState

__all__ = ["TensorBoardLogger", "TensorBoardMissingError", "scalars"]


TensorBoardMissingError = MissingExtraError
"""TensorBoard is not installed (the shared :class:`bayescnn.errors.MissingExtraError`)."""


def _summary_writer() -> type:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise TensorBoardMissingError(
            f"TensorBoard logging needs the tensorboard package, which is not installed "
            f"({error}); install it with: pip install 'bayescnn[tensorboard]'",
            name="tensorboard",
        ) from error
    return SummaryWriter


def scalars(row: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """The numeric entries of a metrics row as ``(tag, value)``, nested dicts as
    ``outer/inner`` tags (``layers/conv1/kl``); ``epoch``, booleans and ``None`` skipped."""
    for key, value in row.items():
        tag = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from scalars(value, f"{tag}/")
        elif isinstance(value, int | float) and not isinstance(value, bool) and tag != "epoch":
            yield tag, float(value)


class TensorBoardLogger(Callback):
    """Write every numeric value of each epoch's metrics row (the ``metrics.jsonl`` row) as
    a TensorBoard scalar at step ``epoch`` (1-based), on rank 0.

    Scalars are flushed every epoch, and the writer is closed when fitting ends. A resumed
    run appends to the same folder; TensorBoard drops the steps it is about to redo.

    Args:
        log_dir: the folder of the event files (``tensorboard --logdir`` it).

    Raises:
        TensorBoardMissingError: if tensorboard is not installed (also an ``ImportError``).
    """

    def __init__(self, log_dir: str | Path) -> None:
        self.log_dir = Path(log_dir)
        self._writer_type = _summary_writer()
        self._writer: Any = None

    def on_fit_start(self, state: FitState) -> None:
        if not state.dist.is_main:
            return
        purge = state.start_epoch + 1 if state.start_epoch > 0 else None
        self._writer = self._writer_type(log_dir=str(self.log_dir), purge_step=purge)

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        if self._writer is None:
            return
        for tag, value in scalars(row):
            self._writer.add_scalar(tag, value, global_step=row["epoch"])
        self._writer.flush()

    def on_fit_end(self, state: FitState) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
