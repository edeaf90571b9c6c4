"""``python -m benchmarks.peers``: every peer's LeNet-5 is ours in another library's layers,
one evaluation scores them all, and the results page's tables are generated from the JSON.

The peers are the optional extra ``bench``; a peer that is not installed is skipped."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
import torch
from benchmarks.peers import libraries, quality, tables
from benchmarks.peers.libraries import PEERS

import bayescnn

MODULES = {
    "bayesian-torch": "bayesian_torch",
    "torch-uncertainty": "torch_uncertainty",
    "blitz-bayesian-pytorch": "blitz",
    "torchbnn": "torchbnn",
}
ROOT = Path(__file__).resolve().parents[2]


def build(name: str) -> torch.nn.Module:
    peer = PEERS[name]
    if peer.library in MODULES:
        pytest.importorskip(MODULES[peer.library])
    torch.manual_seed(0)
    return peer.build()


def distinct_parameter_count(model: torch.nn.Module) -> int:
    """Parameters counted once per storage (blitz registers each mu and rho twice, as the
    layer's and its sampler's Parameter, on the same storage)."""
    seen = {p.data_ptr(): p.numel() for p in model.parameters()}
    return sum(seen.values())


@pytest.mark.parametrize("name", [n for n in PEERS if PEERS[n].estimator])
def test_every_bayesian_lenet_has_as_many_weights_as_ours(name: str) -> None:
    ours = bayescnn.models.create(
        "lenet", bayesian=True, bayesian_layers="all", num_classes=10, in_channels=1
    )
    # a mean and a scale per weight of the frequentist LeNet-5 (61,706 weights)
    assert distinct_parameter_count(build(name)) == distinct_parameter_count(ours) == 2 * 61_706


@pytest.mark.parametrize("name", [n for n in PEERS if PEERS[n].library == "bayescnn"])
def test_our_bayesian_lenets_are_bayesian_in_every_layer_with_sigma_softplus_rho(
    name: str,
) -> None:
    """As the peers' LeNets are, whatever the zoo's default for one network."""
    model = build(name)
    weight_layers = [
        m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
    ]
    layers = bayescnn.nn.bayesian_layers(model)
    if PEERS[name].estimator is None:
        assert not layers and len(weight_layers) == 5
    else:
        assert not weight_layers and len(layers) == 5
        assert {layer.posterior_rho_scale for layer in layers} == {1.0}


@pytest.mark.parametrize("name", list(PEERS))
def test_every_lenet_maps_a_batch_to_ten_logits(name: str) -> None:
    model = build(name).train()
    assert model(torch.randn(3, 1, 32, 32)).shape == (3, 10)


def test_the_frequentist_twin_draws_its_one_answer() -> None:
    model = build("frequentist").eval()
    with torch.no_grad():
        assert PEERS["frequentist"].draw(model, torch.randn(3, 1, 32, 32), 4).shape == (1, 3, 10)


@pytest.mark.parametrize("name", [n for n in PEERS if PEERS[n].estimator])
def test_every_draw_gives_samples_by_batch_by_classes(name: str) -> None:
    model = build(name).eval()
    with torch.no_grad():
        assert PEERS[name].draw(model, torch.randn(3, 1, 32, 32), 4).shape == (4, 3, 10)


@pytest.mark.parametrize("name", [n for n in PEERS if PEERS[n].estimator])
def test_every_weighting_gives_a_finite_loss_with_gradients(name: str) -> None:
    model = build(name).train()
    x, y = torch.randn(4, 1, 32, 32), torch.tensor([0, 1, 2, 3])
    for weighting in PEERS[name].weightings.values():
        model.zero_grad()
        loss = weighting.make(model, 60_000, 4)(x, y)
        loss.backward()
        assert loss.ndim == 0 and torch.isfinite(loss)
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_bayesian_torch_elbo_kl_is_the_sum_of_every_weights_kl() -> None:
    model = build("bayesian-torch Reparameterization")
    layer = model.fc3  # 84 x 10 weights + 10 biases, prior N(0, 1)
    sigma_w, sigma_b = (torch.nn.functional.softplus(r) for r in (layer.rho_weight, layer.rho_bias))
    prior = torch.distributions.Normal(0.0, 1.0)
    expected = sum(
        torch.distributions.kl_divergence(torch.distributions.Normal(mu, s), prior).sum()
        for mu, s in ((layer.mu_weight, sigma_w), (layer.mu_bias, sigma_b))
    )
    only_fc3 = torch.nn.Sequential(layer)
    assert libraries._bayesian_torch_summed_kl(only_fc3).item() == pytest.approx(
        expected.item(), rel=1e-5
    )


def synthetic_batches(count: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(count, 1, 32, 32, generator=generator)
    y = torch.randint(0, 10, (count,), generator=generator)
    return [(x[i : i + 8], y[i : i + 8]) for i in range(0, count, 8)]


def test_shared_evaluation_scores_ours_as_bayescnn_predict_does() -> None:
    model = bayescnn.models.create("lenet", bayesian=True, num_classes=10, in_channels=1).eval()
    test, ood = synthetic_batches(24, 0), synthetic_batches(16, 1)
    torch.manual_seed(5)
    shared = quality.evaluate(partial(PEERS["bayescnn flipout"].draw, model), test, ood, 5)
    torch.manual_seed(5)
    options = {"samples": 5, "decomposition": (), "scores": quality.SCORES}
    pred_in = bayescnn.predict_loader(model, test, **options)
    pred_out = bayescnn.predict_loader(model, ood, **options)
    labels = pred_in.labels
    assert shared == pytest.approx(
        {
            "accuracy": bayescnn.metrics.accuracy(pred_in.probs, labels),
            "nll": bayescnn.metrics.nll(pred_in.probs, labels),
            "ece": bayescnn.metrics.calibration_error(pred_in.probs, labels).ece,
            **{
                f"auroc_{s}": bayescnn.metrics.ood_detection(
                    pred_in.scores[s], pred_out.scores[s]
                ).auroc
                for s in quality.SCORES
            },
        },
        abs=1e-6,
    )


def quality_run(peer: str, weighting: str, seed: int, accuracy: float) -> dict[str, object]:
    return {
        "peer": peer,
        "weighting": weighting,
        "seed": seed,
        "accuracy": accuracy,
        "nll": 0.3,
        "ece": 0.01,
        "auroc_mutual_info": 0.9,
    }


def test_quality_table_gives_mean_and_spread_over_seeds_and_says_what_is_not_measured() -> None:
    section = {
        "environment": {"device": "cuda", "gpu": "H200", "torch_threads": 1, "torch": "2.11"},
        "settings": {"epochs": 10, "samples": 25},
        "runs": [
            quality_run("bayescnn flipout", "elbo", 0, 0.88),
            quality_run("bayescnn flipout", "elbo", 1, 0.90),
        ],
    }
    lines = tables.quality_table(section).splitlines()
    ours = next(line for line in lines if line.startswith("| bayescnn flipout |"))
    assert "| 89.00 ± 1.41 |" in ours and ours.endswith("| 2 |")
    torchbnn = next(line for line in lines if line.startswith("| torchbnn bbb |"))
    assert tables.NOT_MEASURED in torchbnn and torchbnn.endswith("| 0 |")


def test_no_results_mean_every_table_says_not_measured_with_its_command() -> None:
    text = tables.peers_section({})
    assert text.count(f"{tables.NOT_MEASURED} yet") == 3
    assert tables.STEP_COMMAND in text and tables.QUALITY_COMMAND in text


def test_write_page_replaces_only_the_text_between_the_markers(tmp_path: Path) -> None:
    page = tmp_path / "peers.md"
    page.write_text("before\n<!-- results:peers -->\nold\n<!-- /results:peers -->\nafter\n")
    assert tables.write_page(page, {})
    text = page.read_text()
    assert text.startswith("before\n<!-- results:peers -->\n") and text.endswith("after\n")
    assert "old" not in text and tables.NOT_MEASURED in text


def test_the_results_pages_tables_are_the_ones_generated_from_the_json() -> None:
    path = ROOT / "benchmarks" / "results-peers.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    page = (ROOT / "docs" / "results" / "peers.md").read_text()
    assert (
        f"<!-- results:peers -->\n{tables.peers_section(results)}\n<!-- /results:peers -->" in page
    )


def test_page_only_writes_the_results_page_when_out_names_the_default_json_relatively(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks.peers import __main__ as command

    written = []
    monkeypatch.setattr(command, "write_page", lambda page, results: written.append(page))
    monkeypatch.chdir(ROOT)
    assert command.main(["--page-only", "--out", "benchmarks/results-peers.json"]) == 0
    assert written == [ROOT / "docs" / "results" / "peers.md"]
