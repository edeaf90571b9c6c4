"""bayescnn plot: refuses a Bayesian twin and never overwrites figures silently."""

import shutil

from bayescnn.cli.main import main


def test_plot_refuses_a_bayesian_run_as_the_frequentist_twin(tiny_run, capsys):
    assert main(["plot", str(tiny_run), "--frequentist", str(tiny_run)]) == 2
    err = capsys.readouterr().err
    assert "is a Bayesian run" in err and len(err.strip().splitlines()) == 1


def test_plot_refuses_a_frequentist_run_compared_with_a_twin(tmp_path, tiny_mnist_dir, capsys):
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size",
            "28", "--epochs", "1", "--train-subset", "100", "--frequentist", "--device", "cpu",
            "--run-dir", str(tmp_path / "plain")]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "plain"), "--frequentist", str(tmp_path / "plain")]) == 2
    assert "is a frequentist run" in capsys.readouterr().err


def test_plot_asks_for_overwrite_before_replacing_figures(tiny_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    assert main(["plot", str(run)]) == 0
    first = (run / "training_curves.png").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["plot", str(run)]) == 2
    err = capsys.readouterr().err
    assert "training_curves.png" in err and "--overwrite" in err
    assert (run / "training_curves.png").stat().st_mtime_ns == first, "left as it was"
    assert main(["plot", str(run), "--overwrite"]) == 0
    assert "wrote" in capsys.readouterr().out
