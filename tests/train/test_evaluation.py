"""bayescnn.train.evaluate (in train/evaluation.py) scores the one Monte-Carlo loop's prediction
(predict_loader)."""

import importlib

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.errors import InvalidArgumentError
from bayescnn.train import classification_metrics, evaluate

logit_samples = importlib.import_module("bayescnn.uncertainty.logit_samples")


def _model() -> nn.Module:
    torch.manual_seed(0)
    return bayescnn.models.create("lenet", in_channels=1, image_size=16, num_classes=10)


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(12, 1, 16, 16, generator=generator)
    y = torch.randint(0, 10, (12,), generator=generator)
    return [(x[:5], y[:5]), (x[5:], y[5:])]


def test_evaluate_gives_the_metrics_of_predicts_prediction_for_the_same_seed():
    model, batches = _model(), _batches()
    torch.manual_seed(5)
    metrics = evaluate(model, batches, samples=4)
    torch.manual_seed(5)
    prediction = bayescnn.predict_loader(model, batches, samples=4)
    assert metrics == classification_metrics(prediction.probs, prediction.labels)


def test_evaluate_samples_every_batch_through_the_one_loop(monkeypatch):
    calls = []
    sample_logits = logit_samples._sample_logits

    def spy(forward, inputs, num_samples, chunk_size):
        calls.append(num_samples)
        return sample_logits(forward, inputs, num_samples, chunk_size)

    monkeypatch.setattr(logit_samples, "_sample_logits", spy)
    evaluate(_model(), _batches(), samples=3)
    assert calls == [3, 3]


def test_evaluate_takes_a_network_returning_logits_and_kl():
    from bayescnn.compat.models import BBBLeNet

    torch.manual_seed(0)
    x, y = torch.randn(4, 1, 32, 32), torch.tensor([0, 1, 2, 3])
    metrics = evaluate(BBBLeNet(10, 1, None), [(x, y)], samples=2)
    assert set(metrics) == {"accuracy", "nll", "brier", "ece"}


def test_evaluate_refuses_batches_without_labels():
    with pytest.raises(InvalidArgumentError, match="labels"):
        evaluate(_model(), [torch.randn(3, 1, 16, 16)], samples=2)
