"""``--rho-scale C``: the run's model stores rho / C, and its run folder rebuilds it with C;
a run saved before the option existed rebuilds with C = 1, as it was trained."""

import shutil

import torch
import yaml

import bayescnn
from bayescnn.io import load_checkpoint, save_checkpoint
from bayescnn.runs import open_run


def _scales(model: torch.nn.Module) -> set[float]:
    return {layer.posterior_rho_scale for layer in bayescnn.nn.bayesian_layers(model)}


def _logits(model: torch.nn.Module) -> torch.Tensor:
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(0)
        return model(torch.ones(2, 1, 28, 28))


def test_rho_scale_builds_the_runs_model_with_it_and_its_folder_rebuilds_it(
    tmp_path, tiny_mnist_dir, train_tiny
):
    run = train_tiny(tmp_path / "run", tiny_mnist_dir, "--rho-scale", "2", epochs=1)
    assert yaml.safe_load((run / "config.yaml").read_text())["rho_scale"] == 2.0
    loaded = open_run(run)
    assert loaded.config.rho_scale == 2.0 and _scales(loaded.model) == {2.0}
    assert float(load_checkpoint(run / "best.safetensors").model_state["fc1.rho_scale"]) == 2.0


def test_a_run_saved_before_rho_scale_existed_rebuilds_with_c_one(
    tmp_path, tiny_mnist_dir, train_tiny
):
    then = ("--bayesian-layers", "all", "--rho-scale", "1")  # the defaults of such a run
    trained = train_tiny(tmp_path / "trained", tiny_mnist_dir, *then, epochs=1)
    old = tmp_path / "old"
    shutil.copytree(trained, old)
    checkpoint = load_checkpoint(old / "best.safetensors")
    config = {k: v for k, v in checkpoint.metadata["config"].items() if k != "rho_scale"}
    save_checkpoint(
        old / "best.safetensors",
        model_state={k: v for k, v in checkpoint.model_state.items() if "rho_scale" not in k},
        metadata={**checkpoint.metadata, "config": config},
        extra=checkpoint.extra,
    )
    loaded = open_run(old)
    assert loaded.config.rho_scale == 1.0 and _scales(loaded.model) == {1.0}
    assert torch.equal(_logits(loaded.model), _logits(open_run(trained).model))
