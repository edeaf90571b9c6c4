"""The README stays true: every one of its Python blocks runs, and its lists of choices are
the registries'.

A block runs as written in a fresh namespace holding the names its prose assumes (a
small LeNet-5 ``model``, a batch ``x``, ``train_set`` and its loaders: tiny synthetic
1x32x32 images), in a temporary working directory. What a block registers is removed
afterwards.
"""

from __future__ import annotations

import gc
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import bayescnn
from bayescnn.data import DATASETS
from bayescnn.registry import Registry
from bayescnn.runs import CHOICES

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


SLOW = {
    "deploy": "exports an ONNX graph twice and a torch.export program (about a minute)",
    "lightning": "starts a Lightning Trainer for 10 epochs (minutes on 2 cores)",
}
"""Sections whose block is marked slow (``pytest -m slow`` runs it), and why."""
_OWN_TEST = "tests/test_readme.py runs this block"
"""The comment above a block that a test of its own runs, with checks of its results."""


def _python_blocks() -> list[Any]:
    """A ``pytest.param`` of every fenced Python block that has no test of its own, its id
    the block's number and the section above it."""
    text = README.read_text()
    blocks = []
    for number, match in enumerate(_FENCE.finditer(text), start=1):
        before = text[: match.start()]
        if before.rstrip().endswith(f"{_OWN_TEST} -->"):
            continue
        heading = re.findall(r"^#+ (.+)$", before, flags=re.MULTILINE)[-1]
        section = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")[:40]
        slow = [pytest.mark.slow for key in SLOW if section.startswith(key)]
        blocks.append(pytest.param(match.group(1), id=f"{number}-{section}", marks=slow))
    return blocks


NEEDS_A_GPU = {'device="cuda"': 'device="cpu"'}
"""What a block needs a GPU for, and its stand-in on a machine without one: the block
runs otherwise as written."""


def _context() -> dict[str, Any]:
    """The names the README's prose assumes before a block: its running example."""
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(64, 1, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (64,), generator=generator)
    train_set = TensorDataset(images, labels)
    loader = DataLoader(train_set, batch_size=32)
    return {
        "bayescnn": bayescnn,
        "torch": torch,
        "nn": nn,
        "model": bayescnn.models.create("lenet", in_channels=1, num_classes=10, image_size=32),
        "net": bayescnn.models.create(
            "lenet", bayesian=False, in_channels=1, num_classes=10, image_size=32
        ),
        "x": images[:4],
        "inputs": images[:8],
        "labels": labels[:8],
        "train_set": train_set,
        "train_loader": loader,
        "valid_loader": loader,
        "test_loader": loader,
    }


@pytest.fixture
def sandbox(monkeypatch, tmp_path) -> Iterator[None]:
    """A temporary working directory, and every registry restored after."""
    monkeypatch.chdir(tmp_path)
    for registry in [obj for obj in gc.get_objects() if issubclass(type(obj), Registry)]:
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    yield


def _run(code: str) -> dict[str, Any]:
    if not torch.cuda.is_available():
        for needed, stand_in in NEEDS_A_GPU.items():
            code = code.replace(needed, stand_in)
    namespace = _context()
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("code", _python_blocks())
def test_every_python_block_of_the_readme_runs(code, sandbox):
    _run(code)


def _block_after(marker: str) -> str:
    text = README.read_text()
    return _FENCE.search(text, text.index(marker)).group(1)


def test_the_fit_example_reads_files_on_disk_and_predicts_after_3_epochs(
    sandbox, tmp_path, tiny_mnist_dir
):
    """The example reads Fashion-MNIST's files where ``load_dataset`` looks (here ./data,
    a learnable stand-in in the real layout): no download, no torchvision; at most 15 lines."""
    shutil.copytree(tiny_mnist_dir / "mnist", tmp_path / "data" / "fashion-mnist")
    code = _block_after("<!-- fit-example")
    namespace = _run(code)
    assert len(namespace["history"]) == 3
    assert namespace["pred"].probs.shape == (8, 10)
    assert len(code.strip().splitlines()) <= 15


def test_the_compat_example_defines_a_network_returning_logits_and_kl(sandbox):
    namespace = _run(_block_after("<!-- compat-example"))
    assert namespace["logits"].shape == (2, 10) and namespace["kl"] > 0
    logits, kl = namespace["Net"]()(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10) and kl > 0


def _readme_choices() -> dict[str, list[str]]:
    text = README.read_text()
    block = text[text.index("<!-- choices -->") : text.index("<!-- /choices -->")]
    return {
        name: re.findall(r"`([^`]+)`", values)
        for name, values in re.findall(r"^- ([\w ]+): (.*)$", block, flags=re.MULTILINE)
    }


def test_the_readmes_lists_of_choices_are_the_registries():
    listed = _readme_choices()
    for name, registry in CHOICES.items():
        expected = registry.names() + (["package.module:function"] if name == "model" else [])
        assert listed[name] == expected, name
    assert listed["dataset"] == DATASETS.names()
    assert listed["OOD score"] == bayescnn.list_ood_scores()
