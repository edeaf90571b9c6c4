"""Without the extra, importing bayescnn.lightning says what to install."""

import importlib
import subprocess
import sys

import pytest

import bayescnn


def test_importing_without_lightning_says_to_install_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightning", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "bayescnn.lightning", raising=False)

    with pytest.raises(ImportError, match=r"pip install 'bayescnn\[lightning\]'") as raised:
        importlib.import_module("bayescnn.lightning")
    assert isinstance(raised.value, bayescnn.BayesCNNError)
    assert raised.value.name == "lightning"


def test_the_core_package_imports_without_lightning():
    script = (
        "import sys; sys.modules['lightning'] = None\n"
        "import bayescnn, bayescnn.train, bayescnn.cli.main\n"
        "assert 'lightning' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
