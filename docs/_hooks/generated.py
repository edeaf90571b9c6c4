"""MkDocs hooks: the pages' generated parts, written from the code at build time.

- ``<!-- generated: cli-reference -->`` becomes the reference of the ``bayescnn`` command,
  rendered from :func:`bayescnn.cli.main.build_parser` (every subcommand, every option,
  its help and default), so the options are never written down twice.
- ``<!-- generated: choices -->`` becomes the list of names each option takes, read from
  the registries the command line and the config files look names up in.
- ``<!-- generated: api-index -->`` becomes the table of ``bayescnn.__all__``, each name
  linked to the package page that documents it.
- The docstrings' reST roles (``:func:`fit```) render as the code they name: mkdocstrings
  reads the docstrings as Markdown, where the role would show as literal text.
"""

from __future__ import annotations

import argparse
import html
import re
from typing import Any

CLI_MARKER = "<!-- generated: cli-reference -->"
CHOICES_MARKER = "<!-- generated: choices -->"
API_INDEX_MARKER = "<!-- generated: api-index -->"
API_PACKAGES = ("nn", "analysis", "priors", "models", "data", "train", "uncertainty",
                "calibration", "metrics", "io", "runs", "deploy", "lightning", "shift",
                "compat", "runtime", "reports", "errors")  # fmt: skip
"""The packages whose ``__all__`` the API reference documents, one page each."""
_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const|ref|term):(<code>)(?:~(?:\w+\.)*)?"
)
"""A reST role in front of rendered code, and a ``~`` (show the last name only) after it."""


def _escape(text: str) -> str:
    """``text`` safe inside a Markdown table cell: no HTML, emphasis, links or pipes."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def _code(text: str) -> str:
    return f"<code>{html.escape(text, quote=False).replace('|', '&#124;')}</code>"


def _option_rows(parser: argparse.ArgumentParser, actions: list[argparse.Action]) -> list[str]:
    # argparse's own formatter writes each option and expands its %(default)s, as in --help
    formatter = parser._get_formatter()
    rows = []
    for action in actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
            continue
        invocation = formatter._format_action_invocation(action)
        described = formatter._expand_help(action) if action.help else ""
        rows.append(f"| {_code(invocation)} | {_escape(described)} |")
    return rows


def _parser_section(title: str, parser: argparse.ArgumentParser, level: str) -> list[str]:
    lines = [f"{level} `{title}`", ""]
    if parser.description:
        lines += [parser.description, ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    for group in parser._action_groups:
        rows = _option_rows(parser, group._group_actions)
        if not rows:
            continue
        lines += [f"**{group.title}**", "", "| argument | description |", "| --- | --- |"]
        lines += [*rows, ""]
    return lines


def cli_reference() -> str:
    """Markdown for the ``bayescnn`` command and each of its subcommands."""
    from bayescnn.cli.main import build_parser

    parser = build_parser()
    lines = _parser_section("bayescnn", parser, "##")
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {action.dest: action.help for action in commands._choices_actions}
    lines += ["| command | what it does |", "| --- | --- |"]
    lines += [f"| [`{name}`](#bayescnn-{name}) | {_escape(summaries.get(name) or '')} |"
              for name in commands.choices]  # fmt: skip
    lines.append("")
    for name, subparser in commands.choices.items():
        lines += _parser_section(f"bayescnn {name}", subparser, "##")
    return "\n".join(lines)


def choices() -> str:
    """A Markdown list of the names each named option takes, from the registries."""
    import bayescnn
    from bayescnn.data import DATASETS, OOD_SET_NAMES
    from bayescnn.runs import CHOICES

    def names(values: Any) -> str:
        return ", ".join(f"`{value}`" for value in values)

    lines = []
    for key, registry in CHOICES.items():
        extra = ", or `package.module:function`" if key == "model" else ""
        lines.append(f"- `{key}`: {names(registry.names())}{extra}")
    lines.append(f"- `dataset`: {names(DATASETS.names())}, or a folder of class subfolders")
    lines.append(f"- OOD score (`--flag-score`): {names(bayescnn.list_ood_scores())}")
    lines.append(
        f"- OOD set (`--ood`): {names(OOD_SET_NAMES)}, a dataset name, or a folder of images"
    )
    return "\n".join(lines)


def _summary(obj: Any) -> str:
    """The first paragraph of ``obj``'s docstring, on one line, its reST code as Markdown's."""
    doc = (getattr(obj, "__doc__", None) or "").strip().split("\n\n")[0]
    doc = re.sub(r":(?:py:)?\w+:`~?([^`]+)`", r"`\1`", " ".join(doc.split()))
    return doc.replace("``", "`").replace("|", "\\|")


def api_index() -> str:
    """A table of ``bayescnn.__all__``: each name, its first docstring paragraph and a link
    to the package page that documents it."""
    import importlib
    import inspect

    import bayescnn

    packages = []
    for name in API_PACKAGES:
        try:
            packages.append(importlib.import_module(f"bayescnn.{name}"))
        except ImportError:  # an optional extra that is not installed
            continue
    rows = ["| name | what it is |", "| --- | --- |"]
    for name in bayescnn.__all__:
        obj = getattr(bayescnn, name)
        if inspect.ismodule(obj):
            page = obj.__name__.removeprefix("bayescnn.")
            rows.append(f"| [`{name}`]({page}.md) | {_summary(obj)} |")
            continue
        if name == "__version__":
            rows.append(f"| `{name}` | the version, `{obj}` |")
            continue
        owner = next(
            (f"{package.__name__}.{public}" for package in packages
             for public in getattr(package, "__all__", ())
             if getattr(package, public, None) is obj),
            f"bayescnn.{name}",
        )  # fmt: skip
        rows.append(f"| [`{name}`][{owner}] | {_summary(obj)} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Fill the generated parts of a page."""
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if API_INDEX_MARKER in markdown:
        markdown = markdown.replace(API_INDEX_MARKER, api_index())
    if CHOICES_MARKER in markdown:
        markdown = markdown.replace(CHOICES_MARKER, choices())
    return markdown


def on_page_content(html_text: str, **_: Any) -> str:
    """Drop the reST role in front of a docstring's code (``:func:`fit``` shows ``fit``,
    ``:class:`~bayescnn.nn.Linear``` shows ``Linear``)."""
    return _ROLE.sub(r"\1", html_text)
