"""BayesianClassifier: the ELBO as a LightningModule, validated by the Monte-Carlo predictive."""

import csv

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

import bayescnn
from bayescnn import nn as bnn
from bayescnn.lightning import BayesianClassifier
from bayescnn.train import KLWeight, classification_metrics

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*does not have many workers",
    "ignore:.*LeafSpec",
    "ignore:You defined a `validation_step` but have no `val_dataloader`",
)


def test_a_few_epochs_of_the_trainer_learn_and_log_the_nll_and_the_kl(
    tmp_path, data, tiny_cnn, quiet_trainer
):
    train, valid = data(256, seed=0), data(128, seed=1)
    module = BayesianClassifier(tiny_cnn(), len(train), lr=1e-2, valid_samples=4)
    trainer = quiet_trainer(max_epochs=3, logger=L.pytorch.loggers.CSVLogger(tmp_path))
    trainer.fit(
        module, DataLoader(train, batch_size=32, shuffle=True), DataLoader(valid, batch_size=64)
    )

    assert trainer.callback_metrics["valid/accuracy"] > 0.9  # chance is 0.5
    with open(f"{trainer.logger.log_dir}/metrics.csv") as file:
        logged = set(next(csv.reader(file)))
    assert {"train/nll_epoch", "train/kl_epoch", "train/loss_epoch", "train/accuracy_epoch"} <= (
        logged
    )
    assert {"valid/nll", "valid/ece", "valid/accuracy"} <= logged


def test_the_logged_training_loss_is_the_per_example_elbo(data, tiny_cnn, quiet_trainer):
    train = data(16)
    module = BayesianClassifier(tiny_cnn(), num_train=1000, beta=0.5)
    trainer = quiet_trainer(max_steps=1)
    trainer.fit(module, DataLoader(train, batch_size=16))

    logged = {k: float(v) for k, v in trainer.callback_metrics.items()}
    assert logged["train/kl_step"] > 0 and logged["train/beta"] == 0.5
    assert logged["train/loss_step"] == pytest.approx(
        logged["train/nll_step"] + 0.5 * logged["train/kl_step"] / 1000
    )


class _RecordBeta(L.Callback):
    def __init__(self) -> None:
        self.betas: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.betas.append(float(trainer.callback_metrics["train/beta"]))


def test_a_scheduled_beta_follows_the_trainers_epochs_and_steps(data, tiny_cnn, quiet_trainer):
    module = BayesianClassifier(tiny_cnn(), num_train=16, beta="soenderby")
    recorder = _RecordBeta()
    trainer = quiet_trainer(max_epochs=8, callbacks=[recorder])
    trainer.fit(module, DataLoader(data(16), batch_size=8))

    schedule = KLWeight.parse("soenderby")
    expected = [schedule(step, 2, epoch, 8) for epoch in range(8) for step in range(2)]
    assert recorder.betas == pytest.approx(expected)
    assert recorder.betas[0] == pytest.approx(0.25) and recorder.betas[-1] == 1.0


def test_validation_metrics_are_those_of_the_whole_set_not_a_mean_over_batches(
    data, tiny_cnn, quiet_trainer
):
    model = tiny_cnn()
    valid = data(50, seed=3)
    module = BayesianClassifier(model, num_train=100)
    bayescnn.set_posterior_mean(model, True)  # a deterministic predictive
    trainer = quiet_trainer()
    trainer.validate(module, DataLoader(valid, batch_size=16), verbose=False)  # 16+16+16+2

    inputs, labels = valid.tensors
    with torch.no_grad():
        expected = classification_metrics(model(inputs).softmax(-1), labels)
    logged = {k.removeprefix("valid/"): float(v) for k, v in trainer.callback_metrics.items()}
    assert logged == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_the_predictive_averages_predict_samples_softmaxes(data, tiny_cnn):
    model = tiny_cnn()
    module = BayesianClassifier(model, num_train=100, predict_samples=5)
    inputs = data(6).tensors[0]
    torch.manual_seed(7)
    probs = module.predictive(inputs)
    torch.manual_seed(7)
    expected = bayescnn.sample_forward(model, inputs, 5).softmax(-1).mean(0)

    torch.testing.assert_close(probs, expected)
    assert not torch.allclose(probs, module.predictive(inputs))  # it samples


def test_the_predictive_leaves_batchnorm_statistics_and_training_modes_alone(data, tiny_cnn):
    model = tiny_cnn(batch_norm=True).train()
    module = BayesianClassifier(model, num_train=100, predict_samples=3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    module.predictive(data(8).tensors[0] + 5.0)

    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name], msg=name)
    assert all(m.training for m in model.modules())


def test_predict_returns_predictive_probabilities_per_batch(data, tiny_cnn, quiet_trainer):
    model = tiny_cnn()
    module = BayesianClassifier(model, num_train=100, predict_samples=3)
    dataset = data(10)
    batches = quiet_trainer().predict(module, DataLoader(dataset, batch_size=4))

    probs = torch.cat(batches)
    assert [b.shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    torch.testing.assert_close(probs.sum(-1), torch.ones(10))
    with torch.no_grad(), bayescnn.posterior_mean(model):  # and in posterior-mean mode
        torch.testing.assert_close(
            torch.cat(quiet_trainer().predict(module, DataLoader(dataset, batch_size=4))),
            model(dataset.tensors[0]).softmax(-1),
        )


def test_forward_returns_the_models_logits(data, tiny_cnn):
    model = tiny_cnn()
    module = BayesianClassifier(model, num_train=100)
    inputs = data(3).tensors[0]
    assert isinstance(module, L.LightningModule)
    with bayescnn.posterior_mean(model):
        torch.testing.assert_close(module(inputs), model(inputs))
    assert module(inputs).shape == (3, 2)


def test_the_default_optimizer_is_adam_with_the_given_learning_rate(tiny_cnn):
    module = BayesianClassifier(tiny_cnn(), num_train=100, lr=0.03)
    optimizer = module.configure_optimizers()

    assert isinstance(optimizer, torch.optim.Adam)
    assert optimizer.param_groups[0]["lr"] == 0.03
    assert {id(p) for g in optimizer.param_groups for p in g["params"]} == {
        id(p) for p in module.parameters()
    }


def test_an_optimizer_factory_receives_the_parameters(tiny_cnn):
    module = BayesianClassifier(
        tiny_cnn(), num_train=100, optimizer=lambda params: torch.optim.SGD(params, lr=0.1)
    )
    optimizer = module.configure_optimizers()

    assert isinstance(optimizer, torch.optim.SGD)
    assert len(optimizer.param_groups[0]["params"]) == len(list(module.parameters()))


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"num_train": 0}, ValueError),
        ({"num_train": None}, ValueError),
        ({"valid_samples": 0}, ValueError),
        ({"train_samples": 0}, ValueError),
        ({"lr": -1.0}, ValueError),
        ({"beta": "warmup"}, ValueError),
        ({"likelihood": "median"}, ValueError),
        ({"optimizer": "adam"}, TypeError),
    ],
)
def test_bad_arguments_raise_bayescnn_errors(tiny_cnn, options, error):
    arguments = {"num_train": 100} | options
    num_train = arguments.pop("num_train")
    with pytest.raises(bayescnn.BayesCNNError) as raised:
        BayesianClassifier(tiny_cnn(), num_train, **arguments)
    assert isinstance(raised.value, error)


def test_a_model_that_is_not_a_module_is_refused():
    with pytest.raises(bayescnn.BayesCNNError, match=r"torch\.nn\.Module"):
        BayesianClassifier(lambda x: x, num_train=10)


def test_the_predictive_is_predict_loaders_on_the_batch(data, tiny_cnn):
    model = tiny_cnn()
    module = BayesianClassifier(model, num_train=100, predict_samples=3)
    inputs = data(6).tensors[0]
    torch.manual_seed(7)
    probs = module.predictive(inputs)
    torch.manual_seed(7)
    expected = bayescnn.predict(model, inputs, samples=3).probs

    torch.testing.assert_close(probs, expected, rtol=0, atol=0)


def test_the_predictive_takes_a_network_returning_logits_and_kl(data, tiny_cnn):
    class LogitsAndKL(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.model(x), bayescnn.kl_divergence(self.model)

    module = BayesianClassifier(LogitsAndKL(tiny_cnn()), num_train=100, valid_samples=3)
    assert module.predictive(data(6).tensors[0]).shape == (6, 2)


def test_a_members_network_trains_and_its_predictive_pools_every_members_samples(
    data, quiet_trainer
):
    torch.manual_seed(0)
    body = torch.nn.Sequential(
        bnn.PackedConv2d(2, 1, 4, 3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        bnn.PackedLinear(2, 144, 2),
    )
    model = bnn.PackedEnsemble(body, 2)
    module = BayesianClassifier(model, num_train=100, predict_samples=3)
    trainer = quiet_trainer(max_steps=1)
    trainer.fit(module, DataLoader(data(16), batch_size=16))
    assert torch.isfinite(trainer.callback_metrics["train/loss_step"])
    inputs = data(6).tensors[0]
    torch.manual_seed(7)
    probs = module.predictive(inputs)
    torch.manual_seed(7)
    expected = bayescnn.predict(model, inputs, samples=3)
    assert expected.samples == 2 * 3
    torch.testing.assert_close(probs, expected.probs, rtol=0, atol=0)


def test_prediction_draws_the_library_s_default_samples_and_validation_its_own(data, tiny_cnn):
    module = BayesianClassifier(tiny_cnn(), num_train=100)
    assert module.predict_samples == bayescnn.defaults.SAMPLES
    assert module.valid_samples == bayescnn.defaults.VALID_SAMPLES
    inputs = data(4).tensors[0]
    torch.manual_seed(3)
    probs = module.predictive(inputs, module.valid_samples)
    torch.manual_seed(3)
    expected = bayescnn.predict(module.model, inputs, samples=bayescnn.defaults.VALID_SAMPLES).probs
    torch.testing.assert_close(probs, expected, rtol=0, atol=0)
