"""Tests for bayescnn.io.checkpoint_format: the header a checkpoint carries and its checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bayescnn.io.checkpoint as checkpoint
from bayescnn.io import CheckpointError
from bayescnn.io.checkpoint_format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    METADATA_KEY,
    checkpoint_header,
    parse_checkpoint_header,
)

PATH = Path("run/checkpoint.safetensors")


def test_header_is_our_json_under_the_metadata_key() -> None:
    header = checkpoint_header({"epoch": 3}, ["weight"], None)
    ours = json.loads(header[METADATA_KEY])
    assert ours["format"] == FORMAT_NAME and ours["format_version"] == FORMAT_VERSION
    assert ours["metadata"] == {"epoch": 3} and ours["model_keys"] == ["weight"]
    assert set(ours["versions"]) == {"bayescnn", "torch", "safetensors", "python"}


def test_a_written_header_parses_back() -> None:
    header = checkpoint_header({"epoch": 3}, ["weight"], None)
    assert parse_checkpoint_header(PATH, header)["metadata"] == {"epoch": 3}


@pytest.mark.parametrize(
    ("header_metadata", "message"),
    [
        (None, "not a bayescnn checkpoint"),
        ({METADATA_KEY: "{not json"}, "damaged bayescnn metadata"),
        ({METADATA_KEY: json.dumps({"format": "other"})}, "damaged bayescnn metadata"),
        (
            {METADATA_KEY: json.dumps({"format": FORMAT_NAME, "format_version": 99})},
            "upgrade bayescnn",
        ),
        (
            {METADATA_KEY: json.dumps({"format": FORMAT_NAME, "format_version": 1})},
            "no 'metadata' object",
        ),
    ],
)
def test_a_header_that_is_not_ours_is_refused_with_the_reason(
    header_metadata: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint_header(PATH, header_metadata)


def test_format_constants_keep_their_import_path_from_checkpoint() -> None:
    assert checkpoint.FORMAT_NAME == FORMAT_NAME
    assert checkpoint.FORMAT_VERSION == FORMAT_VERSION
    assert checkpoint.METADATA_KEY == METADATA_KEY
