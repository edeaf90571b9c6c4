"""A run whose best checkpoint is damaged points at the intact last one beside it."""

import shutil

import pytest

from bayescnn.cli.main import main


@pytest.fixture
def truncated_best(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    best = run / "best.safetensors"
    best.write_bytes(best.read_bytes()[: best.stat().st_size // 2])
    return run


def test_a_truncated_best_checkpoint_names_the_intact_last_one_and_how_to_use_it(
    truncated_best, capsys
):
    assert main(["evaluate", str(truncated_best)]) == 2
    err = capsys.readouterr().err
    last = truncated_best / "last.safetensors"
    assert "truncated" in err and f"give {last} instead of {truncated_best}" in err
    assert len(err.strip().splitlines()) == 1


def test_the_named_last_checkpoint_works(truncated_best, capsys):
    assert main(["evaluate", str(truncated_best / "last.safetensors"), "--samples", "1"]) == 0


def test_without_an_intact_last_checkpoint_the_error_suggests_none(truncated_best, capsys):
    (truncated_best / "last.safetensors").write_bytes(b"")
    assert main(["evaluate", str(truncated_best)]) == 2
    assert "last.safetensors" not in capsys.readouterr().err
