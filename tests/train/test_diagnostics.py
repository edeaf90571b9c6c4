"""Posterior diagnostics: per-layer numbers every epoch, and warnings that name the fix."""

import json

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import bayescnn
from bayescnn.nn import inverse_softplus
from bayescnn.train import PosteriorDiagnostics


def _data(count=64):
    generator = torch.Generator().manual_seed(0)
    return TensorDataset(torch.randn(count, 1, 8, 8, generator=generator),
                         torch.randint(0, 2, (count,), generator=generator))  # fmt: skip


def _fit(model, num_train, lr=1e-3):
    diagnostics = PosteriorDiagnostics()
    return bayescnn.fit(
        model, DataLoader(_data(), batch_size=32), epochs=1, seed=0, callbacks=[diagnostics],
        objective=bayescnn.ELBO(num_train=num_train),
        optimizer=torch.optim.SGD(model.parameters(), lr=lr),
    )  # fmt: skip


def _net(**options):
    return bayescnn.to_bayesian(
        nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 2)), **options
    )


def test_every_epoch_row_carries_each_layers_kl_sigma_and_snr():
    row = _fit(_net(), num_train=10_000)[0]
    assert set(row["layers"]) == {"1", "3"}
    for layer in row["layers"].values():
        assert {"kl", "kl_per_weight", "mean_sigma", "snr_below_1", "weights"} <= set(layer)
    assert 0 <= row["snr_below_1"] <= 1 and 0 <= row["kl_share"] <= 1


def test_a_kl_term_swamping_the_loss_on_small_data_is_a_warning_with_the_fix(caplog):
    row = _fit(_net(), num_train=64)[0]
    assert row["kl_share"] > 0.9
    assert any("KL term is" in w and "--beta" in w for w in row["warnings"])
    assert "KL term is" in caplog.text


def test_a_posterior_equal_to_its_prior_is_reported_as_collapsed():
    model = _net()
    with torch.no_grad():
        for layer in bayescnn.nn.bayesian_layers(model):  # q = p = N(0, 1)
            layer.weight_mu.zero_()
            layer.bias_mu.zero_()
            rho = float(inverse_softplus(torch.tensor(1.0)))  # sigma 1, whatever the rho scale
            layer.set_rho(
                torch.full_like(layer.weight_mu, rho), torch.full_like(layer.bias_mu, rho)
            )
    row = _fit(model, num_train=10_000, lr=0.0)[0]
    assert any("collapsed to the prior" in w for w in row["warnings"])


def test_sigmas_collapsed_to_zero_are_reported():
    row = _fit(_net(posterior_rho_init=(-20.0, 0.1)), num_train=10_000)[0]
    assert any("sigma has collapsed" in w for w in row["warnings"])


@pytest.mark.parametrize("bayesian", [True, False])
def test_a_run_writes_the_diagnostics_into_metrics_jsonl(tmp_path, tiny_mnist_dir, bayesian):
    from bayescnn.runs import TrainConfig, train_run

    config = TrainConfig(dataset="mnist", data_dir=str(tiny_mnist_dir), image_size=28, epochs=1,
                         valid_samples=1, test_samples=1, device="cpu", bayesian=bayesian)  # fmt: skip
    folder, _ = train_run(config, tmp_path / "run")
    row = json.loads((folder / "metrics.jsonl").read_text().splitlines()[0])
    assert ("layers" in row) is bayesian


def _separable(count=256):
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(count, 1, 8, 8, generator=generator)
    return TensorDataset(inputs, (inputs[:, 0, 0, 0] > 0).long())


def test_a_large_kl_share_of_a_network_that_fits_its_data_is_no_warning():
    """KL / N_train outweighs the NLL of a network that learns well (as in a short run of
    the quickstart): that is the normal state of Bayes by Backprop, not a problem."""
    model = _net()
    data = _separable()
    rows = bayescnn.fit(
        model, DataLoader(data, batch_size=32), epochs=3, seed=0,
        callbacks=[PosteriorDiagnostics()], objective=bayescnn.ELBO(num_train=len(data)),
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
    )  # fmt: skip
    assert rows[-1]["kl_share"] > 0.9 and rows[-1]["train_nll"] < 0.5
    assert "warnings" not in rows[-1]
