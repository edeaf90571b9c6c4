#!/usr/bin/env bash
# Install everything the tests need, from nothing, then run them: the linter, the type
# checker, the documentation site's strict build (a warning, a broken link or a missing
# reference fails), the test suite and the real-data runs marked slow. `.ci/run` calls
# this script.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real Fashion-MNIST for the slow real-data tests (Debian's package; needs root).
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist
    else
        echo "note: Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist);" \
             "the real-data tests will be skipped" >&2
    fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q torch==2.14.1 torchvision==0.29.1
.venv/bin/pip install -q -e '.[test]'

.venv/bin/ruff check src tests benchmarks docs/_hooks
.venv/bin/mypy   # src/, as [tool.mypy] in pyproject.toml says (strict for the library's core)
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir site   # ./site is ignored
.venv/bin/python -m pytest -q
.venv/bin/python -m pytest -q -m slow
