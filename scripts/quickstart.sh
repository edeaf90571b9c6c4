#!/usr/bin/env bash
# Install bayescnn from nothing, then train a Bayesian LeNet-5 briefly on the real
# Fashion-MNIST and report its accuracy, calibration and uncertainty against an
# out-of-distribution set. Runs in a few minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d /usr/share/datasets/fashion-mnist ] && [ ! -d data/fashion-mnist ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist
    else
        echo "Fashion-MNIST not found: run 'sudo apt-get install dataset-fashion-mnist', or re-run" \
             "the train command below with --download" >&2
        exit 1
    fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q torch==2.14.1 torchvision==0.29.1
.venv/bin/pip install -q -e .

run=runs/quickstart-$(date +%Y%m%d-%H%M%S)
.venv/bin/bayescnn train --model lenet --dataset fashion-mnist --epochs 2 --train-subset 20000 \
    --run-dir "$run"
.venv/bin/bayescnn uncertainty "$run" --ood digits --limit 2000 --samples 25
