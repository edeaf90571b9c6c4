"""``bayescnn --help`` imports only what building the parser needs: no plotting, ONNX,
Lightning, scikit-learn, SciPy or torchvision (they load with the command that uses them)."""

import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "torchvision", "sklearn", "scipy", "onnx", "onnxscript", "lightning")

SCRIPT = """
import sys
from bayescnn.cli.main import main
try:
    main({argv!r})
except SystemExit:
    pass
print("loaded:", *sorted(name for name in {heavy!r} if name in sys.modules))
"""


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["shift", "--help"]])
def test_help_loads_no_heavy_module(argv):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines()[-1] == "loaded:"
