"""``bayescnn export RUN --format onnx|torch-export --out FILE [--samples S]``."""

import argparse
import subprocess
import sys

import numpy as np
import pytest
import torch

import bayescnn
from bayescnn.cli.export_command import add_export_command
from bayescnn.runs import TrainConfig, open_run, train_run


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_mnist_dir):
    """A one-epoch Bayesian LeNet on the tiny MNIST, its images resized to 32 x 32."""
    folder = tmp_path_factory.mktemp("export") / "run"
    config = TrainConfig(dataset="mnist", data_dir=str(tiny_mnist_dir), image_size=32,
                         epochs=1, batch_size=100, valid_samples=1, test_samples=1,
                         device="cpu")  # fmt: skip
    train_run(config, folder)
    return folder


def _bayescnn(*argv):
    """Parse ``argv`` with a parser holding only the export command, and run it."""
    parser = argparse.ArgumentParser(prog="bayescnn")
    add_export_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.handler(args)


def test_it_writes_the_onnx_mean_network_of_the_run_by_default(run, tmp_path, capsys):
    out = tmp_path / "lenet.onnx"
    assert _bayescnn("export", run, "--out", out) == 0
    ort = pytest.importorskip("onnxruntime")
    model = open_run(run).model
    temperature = bayescnn.calibration.temperature_of(model)  # the run was calibrated by train
    assert temperature is not None
    x = torch.randn(3, 1, 32, 32)
    (logits,) = ort.InferenceSession(str(out)).run(None, {"input": x.numpy()})
    with torch.no_grad(), bayescnn.posterior_mean(model):
        expected = model(x) / temperature
    np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-4, atol=1e-4)
    text = capsys.readouterr().out
    assert f"wrote {out} (onnx, posterior-mean network: input -> logits (N, 10))" in text


def test_it_prints_the_input_shape_and_normalisation_the_graph_expects(run, tmp_path, capsys):
    _bayescnn("export", run, "--out", tmp_path / "m.onnx")
    spec = open_run(run).spec
    text = capsys.readouterr().out
    assert "input: float32 (N, 1, 32, 32)" in text
    assert f"mean ({spec.mean[0]:.4g}), std ({spec.std[0]:.4g})" in text


def test_samples_exports_the_monte_carlo_predictive_as_a_torch_export_program(
    run, tmp_path, capsys
):
    out = tmp_path / "predictive.pt2"
    assert _bayescnn("export", run, "--format", "torch-export", "--samples", 4, "--out", out) == 0
    mean_probs, aleatoric, epistemic = torch.export.load(out).module()(torch.randn(5, 1, 32, 32))
    assert mean_probs.shape == (5, 10) and aleatoric.shape == epistemic.shape == (5,)
    assert "Monte-Carlo predictive, 4 weight draws per run" in capsys.readouterr().out


def test_an_unknown_format_is_refused_by_the_parser(run, tmp_path, capsys):
    with pytest.raises(SystemExit):
        _bayescnn("export", run, "--format", "tflite", "--out", tmp_path / "m")
    assert "invalid choice: 'tflite'" in capsys.readouterr().err


def test_a_missing_run_is_a_bayescnn_error(tmp_path):
    with pytest.raises(bayescnn.BayesCNNError, match="no run folder or checkpoint"):
        _bayescnn("export", tmp_path / "nothing", "--out", tmp_path / "m.onnx")


def test_stdout_holds_only_the_commands_own_lines_not_the_onnx_optimisers_log(run, tmp_path):
    pytest.importorskip("onnxscript")
    out = tmp_path / "predictive.onnx"
    argv = ["export", str(run), "--out", str(out), "--samples", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "bayescnn", *argv], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith(f"wrote {out} (onnx, Monte-Carlo predictive")
    assert lines[1].startswith("input: float32")
