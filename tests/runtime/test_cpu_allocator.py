"""The CPU allocator setting: applied by default on glibc, never over the user's choice."""

import sys

import pytest

from bayescnn.cli import main as cli_main
from bayescnn.runtime import cpu_allocator

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


@glibc_only
def test_tuning_applies_on_glibc(monkeypatch):
    monkeypatch.delenv(cpu_allocator.OPT_OUT, raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert cpu_allocator.tune_cpu_allocator() is True


@pytest.mark.parametrize(
    "variable, value",
    [
        (cpu_allocator.OPT_OUT, "1"),
        ("MALLOC_MMAP_THRESHOLD_", "65536"),
        ("MALLOC_TRIM_THRESHOLD_", "0"),
    ],
)
def test_tuning_is_skipped_when_the_user_opted_out_or_chose_glibc_settings(
    monkeypatch, variable, value
):
    monkeypatch.setenv(variable, value)
    assert cpu_allocator.tune_cpu_allocator() is False


def test_the_command_line_tunes_the_allocator_before_running(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(cli_main, "tune_cpu_allocator", lambda: calls.append(True))
    with pytest.raises(SystemExit):
        cli_main.main(["--help"])
    assert calls == [True]
