"""bayescnn.fit trains any model on any batches, reproducibly, without touching global state."""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import bayescnn
from bayescnn.io import load_checkpoint, save_checkpoint
from bayescnn.train import Callback, Checkpoints, DivergenceError, DivergenceGuard, MetricsFile
from bayescnn.train.checkpoints import stretch_schedule


def _two_blobs(count: int = 256, seed: int = 0) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    images = torch.randn(count, 1, 8, 8, generator=generator) + 3.0 * labels.view(-1, 1, 1, 1)
    return TensorDataset(images, labels)


def _small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))


def _fit(model, data, **options):
    options = {"epochs": 3, "seed": 0, **options}
    options.setdefault("optimizer", torch.optim.Adam(model.parameters(), lr=1e-2))
    return bayescnn.fit(
        model,
        DataLoader(data, batch_size=32, shuffle=True),
        DataLoader(data, batch_size=128),
        objective=bayescnn.ELBO(num_train=len(data)),
        **options,
    )


def test_a_converted_cnn_learns_from_a_plain_dataloader_and_leaves_the_global_seed_alone():
    torch.manual_seed(123)
    model = bayescnn.to_bayesian(_small_cnn())
    seed_before, state_before = torch.initial_seed(), torch.get_rng_state()
    history = _fit(model, _two_blobs())
    assert torch.initial_seed() == seed_before
    assert torch.equal(torch.get_rng_state(), state_before)
    assert history[-1]["valid_accuracy"] > 0.85 and history[-1]["train_kl"] > 0
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_the_same_seed_gives_the_same_run():
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = bayescnn.to_bayesian(_small_cnn())
        history = _fit(model, _two_blobs(), epochs=2)
        runs.append(([row["train_loss"] for row in history], model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        assert torch.equal(value, runs[1][1][key]), key


def test_without_a_seed_training_draws_from_the_callers_random_state():
    model = bayescnn.to_bayesian(_small_cnn())
    state = torch.get_rng_state()
    _fit(model, _two_blobs(64), epochs=1, seed=None)
    assert not torch.equal(torch.get_rng_state(), state)


def test_a_network_without_bayesian_layers_trains_as_a_plain_classifier():
    history = _fit(_small_cnn(), _two_blobs())
    assert history[-1]["train_kl"] == 0 and history[-1]["valid_accuracy"] > 0.85


def test_a_network_in_the_original_style_returning_logits_and_kl_trains():
    from bayescnn.compat import BBBLeNet

    model = BBBLeNet(outputs=2, inputs=1, priors=None, layer_type="lrt", activation_type="relu")
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (128,), generator=generator)
    images = torch.randn(128, 1, 32, 32, generator=generator) + labels.view(-1, 1, 1, 1)
    history = _fit(model, TensorDataset(images, labels), epochs=2)
    assert 0 < history[-1]["train_kl"] < history[0]["train_kl"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] and "valid_nll" in history[-1]


def test_the_objective_defaults_to_the_elbo_over_the_loaders_dataset():
    model = bayescnn.to_bayesian(_small_cnn())
    history = bayescnn.fit(model, DataLoader(_two_blobs(), batch_size=32), epochs=1, seed=0)
    row = history[0]
    assert "valid_nll" not in row and row["train_loss"] > row["train_nll"]


def test_a_loader_whose_dataset_size_is_unknown_needs_an_explicit_objective():
    batches = [(torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 0, 1]))]
    with pytest.raises(bayescnn.BayesCNNError, match=r"ELBO\(num_train"):
        bayescnn.fit(bayescnn.to_bayesian(_small_cnn()), batches, epochs=1)


def test_callbacks_see_every_step_and_epoch_in_order():
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_fit_start(self, state):
            self.events.append("start")

        def on_epoch_start(self, state):
            self.events.append(f"epoch {state.epoch}")

        def on_step_end(self, state, terms):
            self.events.append("step")

        def on_epoch_end(self, state, row):
            self.events.append(f"end {row['epoch']}")

        def on_fit_end(self, state):
            self.events.append("done")

    recorder = Recorder()
    _fit(bayescnn.to_bayesian(_small_cnn()), _two_blobs(64), epochs=2, callbacks=[recorder])
    steps = ["step"] * 2  # 64 examples in batches of 32
    assert recorder.events == [
        "start",
        "epoch 0",
        *steps,
        "end 1",
        "epoch 1",
        *steps,
        "end 2",
        "done",
    ]


def test_the_divergence_guard_stops_a_run_whose_loss_is_not_finite():
    class Exploding(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _small_cnn()
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            out = self.net(x)
            return out * float("nan") if self.calls > 3 else out

    with pytest.raises(DivergenceError, match=r"epoch 1 by step 4.*lower learning rate"):
        _fit(Exploding(), _two_blobs(), callbacks=[DivergenceGuard(every=1)])


def test_checkpoints_and_the_metrics_file_resume_a_run_exactly(tmp_path):
    def run(folder, epochs, resume=False):
        torch.manual_seed(0)
        model = bayescnn.to_bayesian(_small_cnn())
        callbacks = [Checkpoints(folder, resume=resume), MetricsFile(folder / "metrics.jsonl")]
        history = _fit(model, _two_blobs(), epochs=epochs, callbacks=callbacks)
        return history, model

    (tmp_path / "straight").mkdir()
    (tmp_path / "cut").mkdir()
    straight, straight_model = run(tmp_path / "straight", 3)
    run(tmp_path / "cut", 1)
    resumed, resumed_model = run(tmp_path / "cut", 3, resume=True)
    drop_time = [{k: v for k, v in row.items() if k != "seconds"} for row in (*straight, *resumed)]
    assert drop_time[:3] == drop_time[3:]
    for key, value in straight_model.state_dict().items():
        torch.testing.assert_close(resumed_model.state_dict()[key], value, rtol=0, atol=0)
    lines = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 3


class _KilledAfterCheckpoint(Callback):
    """Ends the process's work (an exception standing in for SIGKILL) after the epoch's
    checkpoint is saved and before the metrics file is written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, state, row):
        if state.epoch + 1 == self.epoch:
            raise KeyboardInterrupt


def test_a_run_killed_between_its_checkpoint_and_its_metrics_file_resumes_with_every_row(
    tmp_path,
):
    def run(folder, epochs, resume=False, killed_at=None):
        torch.manual_seed(0)
        model = bayescnn.to_bayesian(_small_cnn())
        callbacks = [Checkpoints(folder, resume=resume)]
        callbacks += [_KilledAfterCheckpoint(killed_at)] if killed_at else []
        callbacks += [MetricsFile(folder / "metrics.jsonl")]
        return _fit(model, _two_blobs(), epochs=epochs, callbacks=callbacks)

    straight = run(tmp_path / "straight", 3)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut", 3, killed_at=2)
    assert len((tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()) == 1
    resumed = run(tmp_path / "cut", 3, resume=True)

    def drop_time(rows):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert drop_time(resumed) == drop_time(straight)
    assert drop_time(bayescnn.train.read_metrics(tmp_path / "cut" / "metrics.jsonl")) == drop_time(
        straight
    )


def test_a_run_killed_between_its_two_checkpoints_keeps_the_best_epochs_model(
    tmp_path, monkeypatch
):
    """Killed after the first file of an improving epoch's pair is written, the resumed
    run's best checkpoint is still the epoch of the lowest validation NLL."""
    from bayescnn.train import checkpoints

    def run(epochs, resume=False):
        torch.manual_seed(0)
        model = bayescnn.to_bayesian(_small_cnn())
        return _fit(model, _two_blobs(), epochs=epochs,
                    callbacks=[Checkpoints(tmp_path, resume=resume)])  # fmt: skip

    save = checkpoints.save_checkpoint

    def killed_after_one_file_of_epoch_2(path, **contents):
        save(path, **contents)
        if contents["metadata"]["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoints, "save_checkpoint", killed_after_one_file_of_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        run(2)
    monkeypatch.setattr(checkpoints, "save_checkpoint", save)
    history = run(2, resume=True)
    nlls = [row["valid_nll"] for row in history]
    assert nlls[1] < nlls[0], "epoch 2 improves (the case this test is about)"
    assert load_checkpoint(tmp_path / "best.safetensors").metadata["epoch"] == 1  # epoch 2


def test_a_resume_in_another_number_of_processes_is_warned_of(tmp_path, caplog):
    def run(epochs, resume=False):
        model = bayescnn.to_bayesian(_small_cnn())
        _fit(model, _two_blobs(64), epochs=epochs, callbacks=[Checkpoints(tmp_path, resume=resume)])

    run(1)
    last = tmp_path / "last.safetensors"
    assert load_checkpoint(last).metadata["world_size"] == 1
    with caplog.at_level("WARNING", logger="bayescnn.train"):
        run(2, resume=True)
    warned = [record for record in caplog.records if record.levelname == "WARNING"]
    assert not warned, "the same number of processes: nothing to say"

    checkpoint = load_checkpoint(last)  # as if two processes had trained it
    save_checkpoint(last, model_state=checkpoint.model_state,
                    metadata=checkpoint.metadata | {"world_size": 2}, extra=checkpoint.extra)  # fmt: skip
    with caplog.at_level("WARNING", logger="bayescnn.train"):
        run(3, resume=True)
    assert "trained by 2 process(es) and resumes in 1" in caplog.text
    assert "global minibatch" in caplog.text


def test_a_checkpoint_alone_resumes_the_whole_history(tmp_path):
    def run(epochs, resume=False):
        model = bayescnn.to_bayesian(_small_cnn())
        return _fit(model, _two_blobs(64), epochs=epochs,
                    callbacks=[Checkpoints(tmp_path, resume=resume)])  # fmt: skip

    run(2)
    assert [row["epoch"] for row in run(3, resume=True)] == [1, 2, 3]


def test_checkpoints_and_the_metrics_file_make_their_missing_folders(tmp_path):
    folder = tmp_path / "runs" / "first"
    callbacks = [Checkpoints(folder), MetricsFile(tmp_path / "logs" / "metrics.jsonl")]
    _fit(bayescnn.to_bayesian(_small_cnn()), _two_blobs(64), epochs=1, callbacks=callbacks)
    assert (folder / "last.safetensors").is_file()
    assert (tmp_path / "logs" / "metrics.jsonl").is_file()


def test_resuming_a_folder_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _fit(_small_cnn(), _two_blobs(64), callbacks=[Checkpoints(tmp_path, resume=True)])


def test_checkpoints_and_the_metrics_file_create_their_folders(tmp_path):
    folder = tmp_path / "run"
    metrics = tmp_path / "new" / "metrics.jsonl"
    _fit(_small_cnn(), _two_blobs(64), callbacks=[Checkpoints(folder), MetricsFile(metrics)])
    assert (folder / "last.safetensors").is_file()
    assert len(metrics.read_text().splitlines()) == 3


@pytest.mark.parametrize("make", [lambda p: Checkpoints(p), lambda p: MetricsFile(p / "m.jsonl")])
def test_a_checkpoint_or_metrics_path_under_a_file_fails_before_the_first_epoch(tmp_path, make):
    blocker = tmp_path / "file"
    blocker.write_text("")
    steps = []

    class Count(Callback):
        def on_step_end(self, state, terms):
            steps.append(state.step)

    with pytest.raises(bayescnn.BayesCNNError, match="is a file, not a folder"):
        _fit(_small_cnn(), _two_blobs(64), callbacks=[make(blocker / "run"), Count()])
    assert steps == []


def _cosine(epochs: int):
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


def test_a_stretched_cosine_schedule_continues_as_if_planned_for_the_new_total():
    stretched, planned = _cosine(2), _cosine(4)
    for _ in range(2):
        stretched.optimizer.step(), stretched.step()
        planned.optimizer.step(), planned.step()
    assert stretched.get_last_lr() == pytest.approx([0.0])
    stretch_schedule(stretched, 4)
    assert stretched.get_last_lr() == pytest.approx(planned.get_last_lr())
    stretched.optimizer.step(), stretched.step()
    planned.optimizer.step(), planned.step()
    assert stretched.get_last_lr() == pytest.approx(planned.get_last_lr())


def _cosine_run(folder, epochs, resume, metadata=None):
    model = _small_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    callbacks = [Checkpoints(folder, metadata=metadata, resume=resume),
                 MetricsFile(folder / "m.jsonl")]  # fmt: skip
    return _fit(model, _two_blobs(64), epochs=epochs, optimizer=optimizer, scheduler=scheduler,
                callbacks=callbacks)  # fmt: skip


def test_resuming_a_cosine_run_with_more_epochs_trains_the_new_ones_at_a_nonzero_rate(tmp_path):
    _cosine_run(tmp_path, 2, resume=False)
    history = _cosine_run(tmp_path, 4, resume=True)
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    assert history[2]["lr"] == pytest.approx(1e-2 * (1 + math.cos(math.pi * 2 / 4)) / 2)


def test_a_checkpoint_without_its_epochs_is_stretched_from_its_configs(tmp_path):
    _cosine_run(tmp_path, 2, resume=False, metadata={"config": {"epochs": 2}})
    last = tmp_path / "last.safetensors"
    checkpoint = load_checkpoint(last)
    older = {k: v for k, v in checkpoint.metadata.items() if k != "epochs"}
    save_checkpoint(last, model_state=checkpoint.model_state, metadata=older,
                    extra=checkpoint.extra)  # fmt: skip
    history = _cosine_run(tmp_path, 4, resume=True)
    assert history[2]["lr"] == pytest.approx(1e-2 * (1 + math.cos(math.pi * 2 / 4)) / 2)
