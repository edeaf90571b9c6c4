"""build_test_report: the metrics of test.json, the same for train and evaluate."""

from collections import Counter

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.nn.sampling import Stochastic
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


@pytest.mark.parametrize("form", ["pooled", "per-sample"])
def test_a_calibrated_model_gets_both_predictives_of_one_pass_exactly_as_evaluate_gives_them(
    form, monkeypatch
):
    model, batches = _lenet(bayesian=True), _batches()
    bayescnn.calibration.set_temperature(model, 1.6, form=form)
    rows = Counter()  # the network's output rows: samples x examples

    def count(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        sampling = any(m.sample for m in module.modules() if isinstance(m, Stochastic))
        rows["sampled" if sampling else "posterior mean"] += output.shape[0]

    model.register_forward_hook(count)
    torch.manual_seed(4)
    report = build_test_report(model, batches, samples=3)
    # one Monte-Carlo pass of 3 samples over the 10 examples, then the posterior-mean network
    assert rows == {"sampled": 3 * 10, "posterior mean": 10}
    expected = {}
    for key, calibrated in (("predictive_raw", False), ("predictive", True)):
        torch.manual_seed(4)  # the draws of the report's one pass
        expected[key] = evaluate(model, batches, samples=3, calibrated=calibrated)
    assert report == {
        "samples": 3,
        "temperature": pytest.approx(1.6),
        "temperature_form": form,
        **expected,
        "posterior_mean": evaluate(model, batches, posterior_mean=True),
    }
    assert report["predictive"] != report["predictive_raw"]
