#!/usr/bin/env bash
# GPU check for a lent CUDA machine, as one command: nvidia-smi, the tests (tests/nn and
# tests/cuda) on CUDA, the full benchmarks on --device cuda (every comparison method's
# step included), and a one-epoch CLI run.
# Everything it prints is also written under $OUT if set (else ./gpu-check).
#
# Usage, from the repository root:  bash benchmarks/gpu_check.sh
# Python: .venv/bin/python if it sees CUDA, else a python3 that already holds a CUDA build
# of torch (the package then runs from src/ via PYTHONPATH; nothing is installed, since
# such machines often have no network). Put Fashion-MNIST in ./data/fashion-mnist for
# the data and epoch sections and the CLI run.
set -uo pipefail

cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-gpu-check}"
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1

has_cuda_torch() { "$1" -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2>/dev/null; }
if [ -x .venv/bin/python ] && has_cuda_torch .venv/bin/python; then
    PY=.venv/bin/python
elif has_cuda_torch python3; then
    PY=python3
else
    echo "no Python with a CUDA build of torch found (.venv/bin/python, python3)" >&2
    exit 2
fi
export PYTHONPATH="$PWD/src:$PWD${PYTHONPATH:+:$PYTHONPATH}"

status=0
step() {  # step NAME COMMAND...: run, tee into $OUT_DIR/NAME.txt, remember a failure
    local name=$1
    shift
    echo "=== $name: $*"
    local start=$SECONDS
    "$@" 2>&1 | tee "$OUT_DIR/$name.txt" || status=1
    echo "=== $name took $((SECONDS - start)) s"
}

step nvidia-smi nvidia-smi
step torch-cuda "$PY" -c "
import sys, torch, bayescnn
print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda)
print('device:', torch.cuda.get_device_name(0), 'bayescnn from', bayescnn.__file__)"
step pytest "$PY" -m pytest -q -p no:cacheprovider tests/nn tests/cuda
step benchmarks "$PY" -m benchmarks.run --device cuda --data-dir data \
    --output "$OUT_DIR/results-cuda.json"
step cli-train "$PY" -m bayescnn train --model lenet --dataset fashion-mnist --data-dir data \
    --activation relu --prior-sigma 1.0 --epochs 1 --device cuda \
    --out-dir "$(mktemp -d)" --run-name gpu-check
step resnet18-step "$PY" -m benchmarks.run --device cuda --sections step --models resnet18 \
    --output "$OUT_DIR/results-cuda-resnet18.json"
if "$PY" -c "import bayesian_torch, blitz, torchbnn, torch_uncertainty" 2>/dev/null; then
    step peers "$PY" -m benchmarks.peers --device cuda --sections step,predict \
        --out "$OUT_DIR/peers-cuda.json"
else
    echo "=== peers: skipped (pip install -e '.[bench]', or carry the wheels: benchmarks/gpu_batch.sh)"
fi
step method-costs "$PY" -m benchmarks.method_costs --device cuda --rounds 15 --reps 3 \
    --out "$OUT_DIR/results-costs-cuda.json"   # every method's step, members included
PY="$PY" bash benchmarks/gpu_compile.sh || status=1
exit "$status"
