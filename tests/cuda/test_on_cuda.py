"""On a CUDA device: the estimators' moments, the grouped-conv path, bf16 autocast, a run.

Skipped without CUDA (CI has none); ``bash benchmarks/gpu_check.sh`` runs them on a GPU.
"""

import math

import pytest
import torch
import torch.nn.functional as F

import bayescnn
from bayescnn import nn as bnn
from bayescnn.data import DataNotFoundError, load_dataset
from bayescnn.models import create
from bayescnn.runs import TrainConfig, open_run, train_run

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

CUDA = torch.device("cuda")
ESTIMATORS = ["bbb", "lrt", "flipout"]
SAMPLES = 20_000


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_vectorised_conv2d_samples_on_cuda_have_the_analytic_moments(estimator, varied_posterior):
    """All 20,000 samples in one pass: BBB runs them as one grouped convolution on CUDA."""
    layer = bnn.Conv2d(2, 3, 3, padding=1, estimator=estimator, dtype=torch.float64).to(CUDA)
    varied_posterior(layer)
    x = torch.randn(2, 2, 4, 4, dtype=torch.float64, device=CUDA)
    with torch.no_grad():
        samples = bayescnn.sample_forward(layer, x, SAMPLES)
        mean = F.conv2d(x, layer.weight_mu, layer.bias_mu, padding=1)
        var = F.conv2d(
            x.square(), layer.weight_sigma.square(), layer.bias_sigma.square(), padding=1
        )
    assert samples.device.type == "cuda"
    assert torch.all((samples.mean(0) - mean).abs() < 5 * torch.sqrt(var / SAMPLES))
    assert torch.all((samples.var(0) - var).abs() < 5 * var * math.sqrt(2 / (SAMPLES - 1)))


@pytest.mark.parametrize("tiled", [False, True], ids=["shared-input", "tiled-input"])
def test_stacked_weight_sets_on_cuda_equal_a_loop_of_single_convolutions(tiled):
    layer = bnn.Conv2d(4, 6, (3, 2), stride=2, groups=2).to(CUDA)
    weights, biases = layer.posterior().draw(3)
    x = torch.randn(3 * 2 if tiled else 2, 4, 7, 7, device=CUDA)
    blocks = x.reshape(3, 2, 4, 7, 7) if tiled else [x] * 3
    expected = torch.cat(
        [layer.functional_op(b, weights[s], biases[s]) for s, b in enumerate(blocks)]
    )
    with torch.no_grad():
        torch.testing.assert_close(layer.functional_op_many(x, weights, biases, tiled), expected)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_bf16_autocast_training_step_on_cuda_reaches_mu_and_rho(estimator):
    model = create("lenet", estimator=estimator, in_channels=1, image_size=32).to(CUDA)
    x = torch.randn(16, 1, 32, 32, device=CUDA)
    y = torch.randint(0, 10, (16,), device=CUDA)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = bayescnn.sample_forward(model, x, 4).mean(0)
        kl = bayescnn.kl_divergence(model)
        loss = F.cross_entropy(logits.float(), y) + kl / 60_000
    loss.backward()
    assert kl.dtype == torch.float32, "the KL stays in float32 under autocast"
    assert torch.isfinite(loss)
    for layer in bayescnn.nn.bayesian_layers(model):
        for grad in (layer.weight_mu.grad, layer.weight_rho.grad):
            assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_predict_on_cuda_returns_cpu_results_with_positive_epistemic_uncertainty():
    model = create("lenet", estimator="lrt", in_channels=1, image_size=32).to(CUDA)
    prediction = bayescnn.predict(model, torch.randn(8, 1, 32, 32, device=CUDA), samples=10)
    assert prediction.probs.device.type == "cpu"
    torch.testing.assert_close(prediction.probs.sum(1), torch.ones(8))
    assert prediction.entropy.epistemic.min() > 0


def test_a_short_cuda_training_run_learns_and_its_checkpoint_loads_on_the_cpu(tmp_path):
    try:
        load_dataset("fashion-mnist", None)
    except DataNotFoundError:
        pytest.skip("Fashion-MNIST not found (./data/fashion-mnist or /usr/share/datasets)")
    config = TrainConfig(
        dataset="fashion-mnist",
        model="lenet",
        activation="relu",
        prior_sigma=1.0,
        train_subset=6000,
        lr=3e-3,
        epochs=2,
        valid_samples=2,
        test_samples=5,
        amp=True,
        device="cuda",
        out_dir=str(tmp_path),
    )
    folder, report = train_run(config, tmp_path / "run")
    assert report["predictive"]["accuracy"] > 0.6
    loaded = open_run(folder, device="cpu")
    assert all(p.device.type == "cpu" for p in loaded.model.parameters())


def test_the_fused_kl_on_cuda_equals_the_sum_over_layers():
    model = create("lenet", estimator="bbb", in_channels=1, image_size=32).to(CUDA)
    layers = bayescnn.nn.bayesian_layers(model)
    expected = torch.stack([layer.kl() for layer in layers]).sum()
    torch.testing.assert_close(bayescnn.kl_divergence(model), expected, rtol=1e-5, atol=0)
