"""Progress shows on a terminal as a tqdm bar and, when piped, as a logged line every few
seconds, for training epochs and for evaluation passes alike."""

import logging

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import bayescnn
from bayescnn.train import Callback, ProgressBar, with_progress


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Advance(Callback):
    """Moves a fake clock forward by ``seconds`` at every training step."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def on_step_end(self, state, terms) -> None:
        self.clock.now += self.seconds


def _data(count: int = 64) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    return TensorDataset(
        torch.randn(count, 1, 6, 6, generator=generator),
        torch.randint(0, 2, (count,), generator=generator),
    )


def _fit(callbacks, epochs: int = 2, batch_size: int = 8) -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
    data = _data()
    bayescnn.fit(
        model,
        DataLoader(data, batch_size=batch_size),
        epochs=epochs,
        objective=bayescnn.ELBO(num_train=len(data)),
        callbacks=callbacks,
        seed=0,
    )


def _progress_lines(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bayescnn.train" and "step" in r.getMessage()
    ]


@pytest.fixture
def caplog_info(caplog):
    caplog.set_level(logging.INFO, logger="bayescnn.train")
    return caplog


def test_piped_training_logs_the_epoch_step_loss_and_seconds(caplog_info):
    _fit([ProgressBar(bar=False, interval=0)], epochs=2)
    lines = _progress_lines(caplog_info)
    assert len(lines) == 2 * 8, "one line per step with interval 0"
    assert lines[0].startswith("epoch 1/2: step 1/8 (12%), loss ")
    assert lines[-1].startswith("epoch 2/2: step 8/8 (100%), loss ")
    assert lines[-1].endswith(" s")
    loss = float(lines[-1].split("loss ")[1].split(",")[0])
    assert 0 < loss < 10


def test_piped_training_logs_a_line_every_interval_seconds_not_every_step(caplog_info):
    clock = FakeClock()
    _fit([Advance(clock, 4.0), ProgressBar(bar=False, interval=10, clock=clock)], epochs=1)
    lines = _progress_lines(caplog_info)
    # the clock reads 4, 8, ..., 32 s after steps 1..8: lines at 12 s (step 3) and 24 s (6)
    assert [line.split(":")[1].split(",")[0] for line in lines] == [
        " step 3/8 (38%)",
        " step 6/8 (75%)",
    ]
    assert lines[0].endswith(", 12 s") and lines[1].endswith(", 24 s")


def test_a_disabled_progress_bar_logs_nothing(caplog_info):
    _fit([ProgressBar(enabled=False, bar=False, interval=0)], epochs=1)
    assert _progress_lines(caplog_info) == []


def test_a_drawn_bar_logs_no_lines(caplog_info):
    _fit([ProgressBar(bar=True, interval=0)], epochs=1)
    assert _progress_lines(caplog_info) == []


def test_with_progress_yields_the_same_batches_and_can_be_iterated_again():
    loader = DataLoader(_data(), batch_size=16)
    wrapped = with_progress(loader, "validation", bar=False, interval=0)
    for _ in range(2):
        pairs = list(zip(wrapped, loader, strict=True))
        assert len(pairs) == 4
        for (x, y), (x0, y0) in pairs:
            assert torch.equal(x, x0) and torch.equal(y, y0)
    assert len(wrapped) == len(loader) and wrapped.dataset is loader.dataset


def test_with_progress_logs_each_pass_when_piped(caplog_info):
    wrapped = with_progress(DataLoader(_data(), batch_size=16), "validation", bar=False, interval=0)
    list(wrapped)
    list(wrapped)
    lines = [r.getMessage() for r in caplog_info.records if r.name == "bayescnn.train"]
    assert len(lines) == 8
    assert lines[0].startswith("validation: batch 1/4 (25%), ")
    assert lines[3].startswith("validation: batch 4/4 (100%), ")
    assert lines[4].startswith("validation: batch 1/4 (25%), "), "the second pass starts anew"


def test_with_progress_logs_every_interval_seconds(caplog_info):
    clock = FakeClock()

    def batches():
        for index in range(10):
            clock.now += 3.0
            yield index

    assert list(with_progress(batches(), "test", bar=False, interval=10, clock=clock)) == list(
        range(10)
    )
    lines = [r.getMessage() for r in caplog_info.records if r.name == "bayescnn.train"]
    # 3 s per batch: lines after batches 4 (12 s) and 8 (24 s); no length, so no total
    assert lines == ["test: batch 4, 12 s", "test: batch 8, 24 s"]


def test_with_progress_disabled_logs_nothing_and_yields_everything(caplog_info):
    wrapped = with_progress(range(5), "test", enabled=False, bar=False, interval=0)
    assert list(wrapped) == [0, 1, 2, 3, 4]
    assert [r for r in caplog_info.records if r.name == "bayescnn.train"] == []


@pytest.fixture
def no_logging(caplog):
    """The ``bayescnn.train`` logger shows no INFO message, as in a plain script."""
    caplog.set_level(logging.WARNING, logger="bayescnn.train")
    return caplog


def _fit_by_default(**options) -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
    data = _data()
    bayescnn.fit(
        model,
        DataLoader(data, batch_size=8),
        DataLoader(data, batch_size=8),
        epochs=2,
        objective=bayescnn.ELBO(num_train=len(data)),
        seed=0,
        **options,
    )


def test_fit_shows_each_epoch_on_stderr_by_default_when_logging_shows_nothing(no_logging, capsys):
    _fit_by_default()
    err = capsys.readouterr().err
    assert "epoch 1  train_loss " in err and "epoch 2  train_loss " in err
    assert "valid_nll" in err


def test_fit_with_progress_false_is_silent(no_logging, capsys):
    _fit_by_default(progress=False)
    assert capsys.readouterr().err == ""


def test_fit_logs_its_progress_lines_where_logging_is_configured(caplog_info, capsys):
    _fit_by_default()
    assert capsys.readouterr().err == ""


def test_a_validation_loader_showing_its_progress_is_not_wrapped_again(caplog_info):
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
    data = _data()
    valid = with_progress(DataLoader(data, batch_size=16), "validation", bar=False, interval=0)
    bayescnn.fit(model, DataLoader(data, batch_size=8), valid, epochs=1, seed=0)
    lines = [r.getMessage() for r in caplog_info.records if r.getMessage().startswith("valid")]
    assert len(lines) == 4, "the wrapped loader is used as it is, not wrapped again"


def test_a_progress_bar_among_the_callbacks_replaces_the_default_one(caplog_info):
    _fit([ProgressBar(bar=False, interval=0)], epochs=1)
    assert len(_progress_lines(caplog_info)) == 8, "one line per step, not two"
