"""build_test_report: the metrics of test.json, the same for train and evaluate."""

import torch
from torch import nn

import bayescnn
from bayescnn.runs import build_test_report
from bayescnn.train import evaluate


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(10, 1, 16, 16, generator=generator)
    y = torch.randint(0, 10, (10,), generator=generator)
    return [(x[:6], y[:6]), (x[6:], y[6:])]


def _lenet(*, bayesian: bool) -> nn.Module:
    torch.manual_seed(0)
    return bayescnn.models.create(
        "lenet", bayesian=bayesian, in_channels=1, image_size=16, num_classes=10
    )


def test_a_sampling_model_gets_its_predictive_and_its_posterior_mean_metrics():
    model, batches = _lenet(bayesian=True), _batches()
    torch.manual_seed(4)
    report = build_test_report(model, batches, samples=3)
    torch.manual_seed(4)
    predictive = evaluate(model, batches, samples=3)
    posterior_mean = evaluate(model, batches, posterior_mean=True)
    assert report == {"samples": 3, "predictive": predictive, "posterior_mean": posterior_mean}


def test_a_plain_network_gets_its_one_pass_metrics_alone():
    model, batches = _lenet(bayesian=False), _batches()
    assert build_test_report(model, batches, samples=3) == {
        "predictive": evaluate(model, batches, samples=1)
    }
