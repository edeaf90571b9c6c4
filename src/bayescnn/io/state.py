"""Split nested training state into flat tensors and a JSON skeleton.

Optimizer, scheduler and RNG states are nested dicts, lists and tuples of
tensors and plain Python values. :func:`flatten_state` moves every tensor
into a flat ``{path: tensor}`` dict (paths such as
``"optimizer/state/0/exp_avg"``) and describes everything else in a
JSON-serialisable skeleton; :func:`unflatten_state` rebuilds the original
structure exactly.

Skeleton encoding (every JSON object in a skeleton is one of these tags):

* ``None``, ``bool``, ``int``, ``str`` and finite ``float`` are stored as is;
* ``{"float": "inf" | "-inf" | "nan"}`` for non-finite floats;
* ``{"tensor": path}`` for a tensor stored under ``path``;
* ``{"list": [...]}``, ``{"tuple": [...]}`` for sequences;
* ``{"dict": [[key, value], ...]}`` for dicts, keeping order and key type.

Path components are dict keys (``int`` keys in decimal) or sequence indices,
joined by ``/``; a ``%`` or ``/`` inside a key is escaped as ``%25``/``%2F``.
Other integer and real number types (e.g. numpy scalars) are stored as
Python ``int``/``float``; anything else raises :class:`TypeError`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import torch

from bayescnn.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["ROOT_KEY", "flatten_state", "unflatten_state"]

ROOT_KEY = "_"
"""Tensor key used when the whole object (with no prefix) is a single tensor."""

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _escape(component: str) -> str:
    return component.replace("%", "%25").replace("/", "%2F")


def _join(path: tuple[str, ...]) -> str:
    return "/".join(path)


def _show(path: tuple[str, ...]) -> str:
    return _join(path) or "<root>"


def flatten_state(obj: Any, prefix: str = "") -> tuple[dict[str, torch.Tensor], Any]:
    """Flatten a nested structure into tensors and a JSON-serialisable skeleton.

    Args:
        obj: Nested dicts (``str``/``int`` keys), lists, tuples, tensors,
            ``int``, ``float``, ``bool``, ``str`` and ``None``.
        prefix: Prepended (with ``/``) to every tensor key, e.g. ``"extra"``.

    Returns:
        ``(tensors, skeleton)``; tensors are the original objects (not copied).

    Raises:
        TypeError: For an unsupported object or dict key, naming its path.
        ValueError: For a reference cycle or two tensors mapping to one key.
    """
    tensors: dict[str, torch.Tensor] = {}
    root = (_escape(prefix),) if prefix else ()
    active: set[int] = set()

    def walk(value: Any, path: tuple[str, ...]) -> Any:
        if isinstance(value, torch.Tensor):
            key = _join(path) or ROOT_KEY
            if key in tensors:
                raise InvalidArgumentError(
                    f"two tensors map to the key '{key}' (e.g. keys 0 and '0')"
                )
            tensors[key] = value
            return {"tensor": key}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            number = float(value)
            if math.isfinite(number):
                return number
            return {"float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}
        if not isinstance(value, (dict, list, tuple)):
            raise InvalidTypeError(
                f"cannot store object of type {type(value).__qualname__} at "
                f"'{_show(path)}'; convert it to tensors, numbers, strings or containers"
            )
        if id(value) in active:
            raise InvalidArgumentError(f"reference cycle at '{_show(path)}'")
        active.add(id(value))
        try:
            if isinstance(value, dict):
                items = []
                for key, item in value.items():
                    if isinstance(key, bool) or not isinstance(key, (str, int)):
                        raise InvalidTypeError(
                            f"unsupported dict key {key!r} ({type(key).__qualname__}) at "
                            f"'{_show(path)}'; keys must be str or int"
                        )
                    key = key if isinstance(key, str) else int(key)
                    items.append([key, walk(item, (*path, _escape(str(key))))])
                return {"dict": items}
            tag = "tuple" if isinstance(value, tuple) else "list"
            return {tag: [walk(item, (*path, str(i))) for i, item in enumerate(value)]}
        finally:
            active.discard(id(value))

    skeleton = walk(obj, root)
    return tensors, skeleton


def unflatten_state(tensors: Mapping[str, torch.Tensor], skeleton: Any) -> Any:
    """Rebuild the structure flattened by :func:`flatten_state`.

    Args:
        tensors: Tensors by key; may contain unrelated keys.
        skeleton: The skeleton returned by :func:`flatten_state` (after a JSON
            round trip or not).

    Returns:
        The original structure, with ``int`` keys, tuples and non-finite
        floats restored.

    Raises:
        ValueError: If the skeleton is malformed or names a missing tensor.
    """

    def build(node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise InvalidArgumentError(f"malformed state skeleton node: {node!r:.80}")
        ((tag, body),) = node.items()
        if tag == "tensor":
            if body not in tensors:
                raise InvalidArgumentError(f"state skeleton refers to missing tensor '{body}'")
            return tensors[body]
        if tag == "float" and body in _NON_FINITE:
            return _NON_FINITE[body]
        if tag in ("list", "tuple") and isinstance(body, list):
            items = [build(item) for item in body]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict" and isinstance(body, list):
            result = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise InvalidArgumentError(
                        f"malformed dict entry in state skeleton: {pair!r:.80}"
                    )
                result[pair[0]] = build(pair[1])
            return result
        raise InvalidArgumentError(f"unknown state skeleton tag {tag!r}")

    return build(skeleton)
