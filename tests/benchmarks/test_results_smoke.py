"""`python -m benchmarks.results --quick` runs the whole pipeline (tiny data, no results)."""

import pytest

from benchmarks import results


@pytest.mark.slow
def test_the_quick_results_pipeline_trains_compares_and_writes_its_tables(tmp_path, tiny_mnist_dir):
    argv = ["--quick", "--jobs", "2", "--only", "mnist-lenet-bayesian-lrt,mnist-lenet-bayesian-flipout,mnist-lenet-frequentist-seed0,plain-loop-mnist,frontier-mnist-head-rho-lr-3-seed0",
            "--data-dir", str(tiny_mnist_dir), "--runs", str(tmp_path / "runs"),
            "--docs", str(tmp_path / "docs")]  # fmt: skip
    assert results.main(argv) == 0
    text = (tmp_path / "docs" / "results-quick.md").read_text()
    assert "## sweep-mnist" in text and "## compare-mnist" in text and "## mnist-table" in text
    assert "| Bayesian (flipout, default) |" in text and "| Bayesian (lrt) |" in text
    assert "| frequentist twin |" in text
    assert "## targets" in text and "| plain loop | MNIST accuracy" in text
    assert "## seeds-mnist" in text
    assert "## frontier-mnist" in text and "| head-rho-lr-3 | --bayesian-layers fc* " in text
    assert (tmp_path / "docs" / "figures" / "sweep_prior_sigma-quick.png").is_file()
