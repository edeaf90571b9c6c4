"""The documentation stays true: every Python block of the README and of the site runs.

A page runs as a reader runs it: its ``python`` blocks in order, in one namespace, in a
fresh working directory whose ``./data`` holds a tiny learnable stand-in for MNIST and
Fashion-MNIST (where ``bayescnn.data.load_dataset`` looks first). What a page registers is
removed afterwards. Two HTML comments steer it, and should stay rare:

- ``<!-- docs-test: skip (why) -->`` right above a block: the block is a fragment, not run;
- ``<!-- docs-test: slow (why) -->`` anywhere in a page: the page runs under ``-m slow``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from bayescnn.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SKIP = re.compile(r"<!-- docs-test: skip \(.+?\) -->\s*$")
_SLOW = re.compile(r"<!-- docs-test: slow \(.+?\) -->")


def documentation_pages() -> list[Path]:
    """The README and every Markdown page of the site."""
    pages = sorted(p for p in (ROOT / "docs").rglob("*.md") if "_hooks" not in p.parts)
    return [ROOT / "README.md", *pages]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ``python`` blocks of a page that run, with their line numbers."""
    blocks = []
    for match in _FENCE.finditer(text):
        if not _SKIP.search(text[: match.start()].rstrip() + "\n"):
            blocks.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return blocks


def _pages_with_code() -> list[Any]:
    params = []
    for page in documentation_pages():
        text = page.read_text()
        if not python_blocks(text):
            continue
        marks = [pytest.mark.slow] if _SLOW.search(text) else []
        params.append(pytest.param(page, id=str(page.relative_to(ROOT)), marks=marks))
    return params


@pytest.fixture
def sandbox(monkeypatch, tmp_path, tiny_mnist_dir) -> Iterator[Path]:
    """A working directory with ./data, temporary files under it, registries restored."""
    for name in ("mnist", "fashion-mnist"):
        shutil.copytree(tiny_mnist_dir / "mnist", tmp_path / "data" / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for registry in [obj for obj in gc.get_objects() if issubclass(type(obj), Registry)]:
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    with torch.random.fork_rng():
        yield tmp_path


@pytest.mark.parametrize("page", _pages_with_code())
def test_every_python_block_of_the_page_runs_in_order(page: Path, sandbox: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for line, code in python_blocks(page.read_text()):
        where = f"{page.relative_to(ROOT)}, block at line {line}"
        exec(compile(code, where, "exec"), namespace)  # a failure names its block


def test_a_skipped_block_is_the_one_right_below_its_marker() -> None:
    text = (
        "<!-- docs-test: skip (a fragment) -->\n```python\nskipped\n```\n\n"
        "some prose\n\n```python\nrun\n```\n"
    )
    assert [code for _, code in python_blocks(text)] == ["run\n"]


def test_every_page_is_in_the_sites_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in documentation_pages()[1:]:
        relative = page.relative_to(ROOT / "docs").as_posix()
        assert f": {relative}" in nav or relative == "results-quick.md", relative


ORIGINAL_CONFIG_KEYS = [
    # config_bayesian.py
    "layer_type", "activation_type", "priors", "prior_mu", "prior_sigma",
    "posterior_mu_initial", "posterior_rho_initial", "n_epochs", "lr_start", "num_workers",
    "valid_size", "batch_size", "train_ens", "valid_ens", "beta_type",
    # config_frequentist.py, and the recording keys of earlier versions
    "lr", "record_mean_var", "recording_freq_per_epoch", "record_layers",
]  # fmt: skip
"""Every key of PyTorch-BayesianCNN's configuration modules."""
ORIGINAL_NAMES = [
    "main_bayesian.py", "main_frequentist.py", "uncertainty_estimation.py", "--net_type",
    "--dataset", "ModuleWrapper", "FlattenLayer", "BBBLinear", "BBBConv2d", "BBBLeNet",
    "BBBAlexNet", "BBB3Conv3FC", "kl_loss", "logmeanexp",
]  # fmt: skip
"""The original's scripts, their options and its classes."""


def test_the_migration_page_maps_every_key_script_and_class_of_the_original() -> None:
    text = (ROOT / "docs" / "migration.md").read_text()
    for key in ORIGINAL_CONFIG_KEYS:
        assert f"`{key}`" in text or f"'{key}'" in text, key
    for name in ORIGINAL_NAMES:
        assert name in text, name


def _hooks():
    spec = importlib.util.spec_from_file_location(
        "generated", ROOT / "docs" / "_hooks" / "generated.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_names_every_command_and_option_of_the_parser() -> None:
    from bayescnn.cli.main import build_parser

    reference = _hooks().cli_reference()
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in commands.choices.items():
        assert f"## `bayescnn {name}`" in reference, name
        for action in subparser._actions:
            if action.help == argparse.SUPPRESS:  # hidden from --help (a deprecated alias)
                continue
            for option in action.option_strings:
                assert option in reference, (name, option)


def test_the_generated_choices_are_the_registries() -> None:
    from bayescnn.runs import CHOICES

    listed = _hooks().choices()
    for key, registry in CHOICES.items():
        line = next(line for line in listed.splitlines() if line.startswith(f"- `{key}`:"))
        assert re.findall(r"`([^`]+)`", line)[1 : 1 + len(registry.names())] == registry.names()
