"""Every command that runs a model over many images shows its progress on stderr (a line
per pass every few seconds when piped), and keeps stdout for its own output."""

import json
import logging

import pytest

from bayescnn.cli.main import main
from bayescnn.runtime.progress import Ticker


@pytest.fixture
def every_batch(monkeypatch, caplog):
    """Progress lines after every batch (not every 10 s), caught from the log."""
    monkeypatch.setattr(Ticker, "due", lambda self: True)
    caplog.set_level(logging.INFO, logger="bayescnn.train")
    return caplog


def _passes(caplog) -> set[str]:
    """The descriptions of the passes that showed progress lines."""
    return {
        r.getMessage().split(": batch")[0] for r in caplog.records if ": batch" in r.getMessage()
    }


def test_evaluate_shows_the_progress_of_both_passes(tiny_run, every_batch, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(tiny_run), "--samples", "2", "--device", "cpu"]) == 0
    # the run was calibrated by train: the raw predictive is reported beside the calibrated,
    # both read from the one Monte-Carlo pass
    assert _passes(every_batch) == {"test (2 samples)", "test (posterior mean)"}
    report = json.loads(capsys.readouterr().out)
    assert {"predictive", "predictive_raw"} <= set(report), "stdout is only the JSON"


def test_uncertainty_shows_the_progress_of_both_sets(tiny_run, every_batch, tmp_path):
    argv = ["uncertainty", str(tiny_run), "--ood", "noise", "--samples", "2", "--limit", "50",
            "--out-dir", str(tmp_path), "--device", "cpu"]  # fmt: skip
    assert main(argv) == 0
    assert _passes(every_batch) == {"in-distribution", "out-of-distribution"}


def test_prune_shows_the_progress_of_each_pruned_model(tiny_run, every_batch):
    argv = ["prune", str(tiny_run), "--fractions", "0.5", "--samples", "1", "--limit", "50",
            "--device", "cpu"]  # fmt: skip
    assert main(argv) == 0
    assert "test, 0.5 removed by snr" in _passes(every_batch)
