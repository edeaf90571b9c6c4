"""A network without Bayesian layers is evaluated once: its epistemic uncertainty is exactly 0."""

import torch

import bayescnn


def test_a_frequentist_model_is_run_once_and_has_exactly_zero_epistemic_uncertainty():
    model = bayescnn.models.create("lenet", bayesian=False, in_channels=1, image_size=28)
    prediction = bayescnn.predict(model, torch.randn(5, 1, 28, 28), samples=25)
    assert prediction.samples == 1
    assert torch.all(prediction.softmax.epistemic_trace == 0)
    assert torch.all(prediction.entropy.epistemic == 0)
