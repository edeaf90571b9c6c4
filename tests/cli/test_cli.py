"""The command line: every option documented, bad input is one line and exit code 2."""

import pytest

from bayescnn.cli.commands import uncertainty_dir
from bayescnn.cli.main import main
from bayescnn.runs import TrainConfig


def test_train_help_documents_every_config_key(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for key in TrainConfig().to_dict():
        flag = "--frequentist" if key == "bayesian" else "--" + key.replace("_", "-")
        assert flag in text, flag


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--model", "vgg"], "unknown model 'vgg'"),
        (["train", "--model", "lenet5"], "did you mean 'lenet'?"),
        (["train", "--model", "no_such_package.nets:Net"], "cannot import 'no_such_package.nets'"),
        (["train", "--dataset", "imagenet"], "unknown dataset"),
        (["train", "--beta", "blundel"], "beta must be"),
        (["train", "--dataset", "cifar10", "--data-dir", "/nonexistent"], "cifar10 not found"),
        (["evaluate", "/nonexistent/run"], "no run folder or checkpoint"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_2(capsys, argv, message, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_config_file_with_an_unknown_key_is_refused(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("lr: 0.001\nlayer_type: lrt\n")
    assert main(["train", "--config", str(config)]) == 2
    assert "layer_type" in capsys.readouterr().err


def test_a_checkpoint_that_is_not_ours_is_refused(tmp_path, capsys):
    bogus = tmp_path / "model.safetensors"
    bogus.write_bytes(b"\x80\x04not a checkpoint")
    assert main(["evaluate", str(bogus)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_folder_dataset_with_a_corrupt_image_names_the_file(tmp_path, capsys):
    from PIL import Image

    (tmp_path / "imgs" / "a").mkdir(parents=True)
    (tmp_path / "imgs" / "b").mkdir()
    (tmp_path / "imgs" / "a" / "broken.png").write_bytes(b"not a png")
    Image.new("L", (8, 8)).save(tmp_path / "imgs" / "b" / "ok.png")
    argv = ["train", "--dataset", str(tmp_path / "imgs"), "--run-dir", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "broken.png" in err and "Traceback" not in err


def test_python_dash_m_bayescnn_is_the_bayescnn_command():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "bayescnn", "train", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: bayescnn train" in result.stdout


def test_choices_come_from_the_registries_and_show_in_the_usage(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "{bbb,lrt,flipout}" in text and "{gaussian,mixture}" in text
    assert "lenet, alexnet, 3conv3fc, resnet18" in text


def test_an_unexpected_error_is_a_bug_with_a_traceback_not_bad_input(monkeypatch, tmp_path):
    import bayescnn.cli.commands as commands

    def broken(args):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(commands, "cmd_evaluate", broken)
    monkeypatch.setattr("bayescnn.cli.main.cmd_evaluate", broken)
    with pytest.raises(RuntimeError, match="illegal memory access"):
        main(["evaluate", str(tmp_path)])


def test_debug_shows_the_traceback_of_bad_input_too(tmp_path):
    import bayescnn

    with pytest.raises(bayescnn.BayesCNNError, match="no run folder or checkpoint"):
        main(["--debug", "evaluate", str(tmp_path / "missing")])


def test_train_help_states_each_default_at_most_once_and_never_as_none(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in text
    assert "(default: PyTorch's init)" in text
    entries = text.split(" --")
    assert [entry for entry in entries if entry.count("(default:") > 1] == []


@pytest.mark.parametrize("command", ["uncertainty", "shift", "prune", "predict"])
def test_each_scoring_commands_samples_default_is_the_models_stated_from_the_defaults(
    capsys, command
):
    from bayescnn import defaults

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    stated = (
        f"{defaults.SAMPLES} for one network, {defaults.MEMBER_SAMPLES} of each member of a "
        "network of members"
    )
    assert stated in text


@pytest.mark.parametrize(
    ("ood", "folder"),
    [("digits", "uncertainty-digits"), ("/tmp/nc/ood", "uncertainty-ood"),
     ("/tmp/nc/ood/", "uncertainty-ood"), ("notMNIST_small", "uncertainty-notMNIST_small")],
)  # fmt: skip
def test_the_uncertainty_folder_is_named_after_the_ood_sets_last_part(tmp_path, ood, folder):
    assert uncertainty_dir(tmp_path, ood) == tmp_path / folder


class _ExitedError(Exception):
    pass


def test_a_process_that_joined_a_group_ends_through_exit_process_with_the_commands_code(
    monkeypatch, tmp_path
):
    """Under torchrun the command ends without finalizers (DDP keeps the group alive)."""
    from bayescnn.train import distributed

    codes = []

    def record(code):
        codes.append(code)
        raise _ExitedError

    monkeypatch.setattr(distributed, "_joined", True)
    monkeypatch.setattr(distributed, "exit_process", record)
    with pytest.raises(_ExitedError):
        main(["evaluate", str(tmp_path / "no-such-run")])
    assert codes == [2]


def test_a_process_that_joined_no_group_returns_its_code(monkeypatch, tmp_path):
    from bayescnn.train import distributed

    monkeypatch.setattr(distributed, "exit_process", lambda code: pytest.fail("exited"))
    assert main(["evaluate", str(tmp_path / "no-such-run")]) == 2
