"""The README stays true: its fit and compat examples run, and its lists of choices are the
registries'."""

import re
import shutil
from pathlib import Path

import torch

import bayescnn
from bayescnn.data import DATASETS
from bayescnn.runs import CHOICES

README = Path(__file__).resolve().parent.parent / "README.md"


def _block_after(marker: str) -> str:
    text = README.read_text()
    start = text.index(marker)
    return text[
        text.index("```python", start) + len("```python") : text.index(
            "```", text.index("```python", start) + 9
        )
    ]


def test_the_fit_example_runs_as_written_on_files_already_on_disk(
    monkeypatch, tmp_path, tiny_mnist_dir
):
    """The example reads Fashion-MNIST's files where ``load_dataset`` looks (here ./data,
    a learnable stand-in in the real layout): no download, no torchvision."""
    shutil.copytree(tiny_mnist_dir / "mnist", tmp_path / "data" / "fashion-mnist")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_block_after("<!-- fit-example"), "README.md", "exec"), namespace)
    assert len(namespace["history"]) == 3
    assert namespace["pred"].probs.shape == (8, 10)
    assert len(_block_after("<!-- fit-example").strip().splitlines()) <= 15


def test_the_compat_example_runs_as_written(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_block_after("<!-- compat-example"), "README.md", "exec"), namespace)
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
