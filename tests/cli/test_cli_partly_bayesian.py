"""``--bayesian-layers`` and ``--rho-lr-scale``: a Bayesian head on a plain trunk, rebuilt
from its run folder, and the posterior's rho at its own learning rate."""

import json

import yaml

import bayescnn
from bayescnn.cli.main import main


def test_a_bayesian_head_trains_and_its_run_rebuilds_with_plain_convolutions(
    tmp_path, tiny_mnist_dir, train_tiny, capsys
):
    run = train_tiny(
        tmp_path / "run", tiny_mnist_dir, "--bayesian-layers", "fc*", "--rho-lr-scale", "3"
    )
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["bayesian_layers"] == "fc*" and config["rho_lr_scale"] == 3.0
    model = bayescnn.load_run(run)
    bayesian = {
        name for name, m in model.named_modules() if isinstance(m, bayescnn.nn.BayesianLayer)
    }
    assert bayesian == {"fc1", "fc2", "fc3"}
    capsys.readouterr()
    assert main(["evaluate", str(run), "--device", "cpu"]) == 0
    assert "posterior_mean" in json.loads(capsys.readouterr().out)


def test_bayesian_layers_matching_nothing_is_one_clear_line(tmp_path, tiny_mnist_dir, capsys):
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--epochs", "1",
            "--bayesian-layers", "dense*", "--run-dir", str(tmp_path / "run")]  # fmt: skip
    assert main(argv) == 2
    assert "model 'lenet': bayesian_layers (dense*) matches no layer" in capsys.readouterr().err
