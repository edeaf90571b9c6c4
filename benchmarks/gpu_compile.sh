#!/usr/bin/env bash
# Seconds per epoch of `bayescnn train` on CUDA, eager vs --compile, Bayesian (lrt) and
# frequentist LeNet-5 on Fashion-MNIST (./data/fashion-mnist): 3 epochs each, the first
# includes compilation. Called by gpu_check.sh; appends the logs to compile.txt under $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-gpu-check}"
PY="${PY:-python3}"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
runs=$(mktemp -d)
status=0
for compile in "" "--compile"; do
    for kind in "" "--frequentist"; do
        name="compile${compile:+-on}${kind:+-frequentist}"
        echo "=== $name"
        "$PY" -m bayescnn train --model lenet --dataset fashion-mnist --data-dir data \
            --activation relu --prior-sigma 1.0 --epochs 3 --device cuda --test-samples 25 \
            --out-dir "$runs" --run-name "$name" $compile $kind 2>&1 \
            | tee -a "$OUT_DIR/compile.txt" | grep -E "^epoch|rror" || status=1
    done
done
exit "$status"
