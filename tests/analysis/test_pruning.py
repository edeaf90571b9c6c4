"""Pruning by signal-to-noise ratio, and the posterior statistics it is based on
(bayescnn.analysis)."""

import pytest
import torch

import bayescnn
from bayescnn import analysis
from bayescnn import nn as bnn


def _model():
    torch.manual_seed(0)
    return bayescnn.models.create("lenet", in_channels=1, image_size=28, bayesian_layers="all")


def _weights(model):
    return sum(layer.weight_mu.numel() for layer in bnn.bayesian_layers(model))


def test_pruning_nothing_changes_nothing():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert sum(bayescnn.prune_by_snr(model, 0.0).values()) == 0
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_the_lowest_snr_fraction_is_set_to_exactly_zero_sampled_and_mean_alike():
    model = _model()
    snr = torch.cat(
        [analysis.signal_to_noise(layer).flatten() for layer in bnn.bayesian_layers(model)]
    )
    removed = bayescnn.prune_by_snr(model, 0.75)
    assert sum(removed.values()) == round(0.75 * _weights(model))
    threshold = snr.sort().values[sum(removed.values()) - 1]
    for layer in bnn.bayesian_layers(model):
        pruned = layer.weight_mu == 0
        assert torch.all(layer.weight_sigma[pruned] == 0)
        assert torch.all(
            analysis.signal_to_noise(layer).nan_to_num(float("inf"))[~pruned] >= threshold
        )
    x = torch.randn(2, 1, 28, 28)
    conv = model.conv1
    pruned = conv.weight_mu == 0
    for _ in range(3):  # a sampled pass draws exactly 0 for a pruned weight (bbb draws weights)
        conv.estimator = bnn.Estimator.BBB
        weight = conv.weight_mu + conv.weight_sigma * torch.randn_like(conv.weight_mu)
        assert torch.all(weight[pruned] == 0)
    assert bayescnn.sample_forward(model, x, 3).isfinite().all()


def test_pruning_every_weight_gives_a_network_that_cannot_tell_classes_apart():
    model = _model()
    bayescnn.prune_by_snr(model, 1.0)
    probs = bayescnn.predict(model, torch.randn(16, 1, 28, 28), posterior_mean=True).probs
    assert torch.allclose(probs, probs[:1].expand_as(probs)), "only the biases are left"


def test_the_magnitude_baseline_removes_the_smallest_means():
    model = _model()
    mus = torch.cat(
        [layer.weight_mu.detach().abs().flatten() for layer in bnn.bayesian_layers(model)]
    )
    analysis.prune_by_magnitude(model, 0.5)
    kept = torch.cat(
        [layer.weight_mu.detach().abs().flatten() for layer in bnn.bayesian_layers(model)]
    )
    assert kept[kept > 0].min() >= mus.sort().values[round(0.5 * mus.numel()) - 1]


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_a_fraction_outside_zero_to_one_is_an_error(fraction):
    with pytest.raises(bayescnn.BayesCNNError, match="fraction must be in"):
        bayescnn.prune_by_snr(_model(), fraction)


def test_layer_statistics_report_kl_sigma_and_snr_per_layer():
    model = _model()
    stats = analysis.layer_statistics(model)
    assert list(stats) == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    total = sum(s.kl for s in stats.values())
    assert total == pytest.approx(bayescnn.kl_divergence(model).item(), rel=1e-4)
    fc1 = stats["fc1"]
    assert fc1.mean_sigma == pytest.approx(float(model.fc1.weight_sigma.mean()), rel=1e-6)
    assert 0 <= fc1.snr_below_1 <= 1
    assert fc1.weights == model.fc1.weight_mu.numel() + model.fc1.bias_mu.numel()
