"""MonteCarloPredictive: the Monte-Carlo predictive and its entropy decomposition in one forward."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.deploy import MonteCarloPredictive, WeightSampling, entropy_terms
from bayescnn.uncertainty import entropy_decomposition


def test_entropy_terms_are_the_library_entropy_decomposition_of_the_softmax():
    logits = torch.randn(7, 5, 4) * 3
    mean_probs, aleatoric, epistemic = entropy_terms(logits)
    expected = entropy_decomposition(logits.softmax(-1))
    torch.testing.assert_close(mean_probs, expected.predictive)
    torch.testing.assert_close(aleatoric, expected.aleatoric)
    torch.testing.assert_close(epistemic, expected.epistemic)


def test_entropy_terms_take_zero_log_zero_as_zero():
    logits = torch.tensor([[[0.0, -1e4], [0.0, 0.0]]])
    _, aleatoric, epistemic = entropy_terms(logits)
    assert torch.isfinite(aleatoric).all() and aleatoric[0].item() == 0.0
    assert epistemic.eq(0).all()


@pytest.mark.parametrize(
    ("make", "example_shape"),
    [
        (lambda: bnn.Linear(5, 3), (5,)),
        (
            lambda: bnn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect"),
            (4, 7, 7),
        ),
        (lambda: bnn.Conv1d(2, 3, 3, padding="same", bias=False), (2, 9)),
    ],
    ids=["linear", "conv2d-grouped-reflect", "conv1d-same-no-bias"],
)
def test_each_sample_block_goes_through_its_own_weight_draw(make, example_shape, varied_posterior):
    layer = make()
    if layer.bias_mu is not None:
        varied_posterior(layer)
    num_samples, rows = 3, 2
    x = torch.randn(num_samples * rows, *example_shape)
    torch.manual_seed(7)
    out = WeightSampling(layer, num_samples)(x)
    torch.manual_seed(7)  # the same draws: S weight sets, then S bias sets
    q = layer.posterior()
    weights = q.weight_mu + q.weight_sigma * torch.randn(num_samples, *q.weight_mu.shape)
    biases = None
    if q.bias_mu is not None:
        biases = q.bias_mu + q.bias_sigma * torch.randn(num_samples, *q.bias_mu.shape)
    expected = torch.cat(
        [
            layer.functional_op(block, weights[s], None if biases is None else biases[s])
            for s, block in enumerate(x.chunk(num_samples))
        ]
    )
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_the_weight_draws_take_the_layers_true_rho_whatever_its_scale():
    outputs = []
    for c in (1.0, 3.0):
        torch.manual_seed(0)
        layer = bnn.Linear(5, 3, rho_scale=c)
        layer.set_rho(torch.full((3, 5), -1.0), torch.full((3,), -2.0))
        torch.manual_seed(7)
        outputs.append(WeightSampling(layer, 2)(torch.ones(4, 5)))
    torch.testing.assert_close(outputs[1], outputs[0])


def _lenet(estimator="lrt", **kwargs):
    torch.manual_seed(0)
    return bayescnn.models.create(
        "lenet", num_classes=4, in_channels=1, image_size=28, estimator=estimator, **kwargs
    ).eval()


def test_its_parts_sum_to_the_entropy_of_the_mean_probabilities():
    mean_probs, aleatoric, epistemic = MonteCarloPredictive(_lenet(), 8)(torch.randn(5, 1, 28, 28))
    assert mean_probs.shape == (5, 4) and aleatoric.shape == epistemic.shape == (5,)
    torch.testing.assert_close(mean_probs.sum(-1), torch.ones(5))
    entropy = -(mean_probs * mean_probs.log()).sum(-1)
    torch.testing.assert_close(aleatoric + epistemic, entropy)
    assert (epistemic > 0).all()


def test_with_a_vanishing_sigma_it_is_the_softmax_of_the_posterior_mean_network():
    model = _lenet(posterior_rho_init=(-40.0, 0.0))
    x = torch.randn(3, 1, 28, 28)
    mean_probs, _, epistemic = MonteCarloPredictive(model, 4)(x)
    with bayescnn.posterior_mean(model):
        torch.testing.assert_close(mean_probs, model(x).softmax(-1))
    assert epistemic.abs().max() < 1e-6


def test_a_network_that_does_not_sample_runs_once_with_zero_epistemic_uncertainty():
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    x = torch.randn(2, 3, 4)
    mean_probs, _, epistemic = MonteCarloPredictive(net, 10)(x)
    torch.testing.assert_close(mean_probs, net(x).softmax(-1))
    assert epistemic.eq(0).all()


def test_the_model_is_left_untouched():
    model = _lenet()
    MonteCarloPredictive(model, 3)
    assert not any(isinstance(m, WeightSampling) for m in model.modules())


def test_samples_must_be_a_positive_integer():
    with pytest.raises(bayescnn.BayesCNNError, match="samples must be an integer >= 1"):
        MonteCarloPredictive(_lenet(), 0)


def test_a_model_that_does_not_return_class_logits_is_refused():
    model = nn.Sequential(bnn.Conv2d(1, 2, 3))
    with pytest.raises(bayescnn.BayesCNNError, match=r"logits \(N, K\)"):
        MonteCarloPredictive(model, 2)(torch.randn(1, 1, 5, 5))
