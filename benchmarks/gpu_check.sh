#!/usr/bin/env bash
# GPU check for a lent CUDA machine: venv (if missing), nvidia-smi, tests/nn on CUDA,
# and the full benchmarks on --device cuda. Outputs go under $OUT if set (else ./gpu-check).
# Usage, from the repository root:  bash benchmarks/gpu_check.sh
set -euo pipefail

cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-gpu-check}"
mkdir -p "$OUT_DIR"
PY=.venv/bin/python

if ! "$PY" -c "import torch, torchvision, bayescnn" >/dev/null 2>&1; then
    echo "creating .venv (torch 2.14.1, torchvision 0.29.1, bayescnn[test])"
    python3 -m venv .venv
    "$PY" -m pip install --upgrade pip
    "$PY" -m pip install torch==2.14.1 torchvision==0.29.1
    "$PY" -m pip install -e '.[test]'
fi

nvidia-smi 2>&1 | tee "$OUT_DIR/nvidia-smi.txt"
"$PY" - <<'PYEOF' 2>&1 | tee "$OUT_DIR/torch-cuda.txt"
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda)
print("cuda available:", torch.cuda.is_available())
assert torch.cuda.is_available(), "CUDA is not available to torch"
print("device:", torch.cuda.get_device_name(0))
PYEOF

status=0
"$PY" -m pytest -q tests/nn 2>&1 | tee "$OUT_DIR/pytest-nn.txt" || status=1
"$PY" -m benchmarks.run --device cuda --output "$OUT_DIR/results-cuda.json" 2>&1 \
    | tee "$OUT_DIR/benchmarks-cuda.txt" || status=1
exit "$status"
