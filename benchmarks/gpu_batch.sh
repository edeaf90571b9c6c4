#!/usr/bin/env bash
# One short batch on a lent GPU machine, inside a deadline: the controlled timings first on
# a quiet GPU (training steps of LeNet-5, 3Conv3FC and ResNet-18 against their twins; the
# peer libraries' step and prediction against ours), then the long runs side by side
# (issue #23's comparison, benchmarks.comparison; the peers' quality runs,
# benchmarks.peers), under CUDA MPS when it starts so that the small processes share the GPU.
#
# Usage, from the repository root:  DEADLINE=480 bash benchmarks/gpu_batch.sh
#   DEADLINE   seconds the whole batch may take (the long runs are stopped at it; what
#              they finished is kept: both harnesses write as they go and resume)
#   WORKERS    processes of the comparison (default 11); PEER_WORKERS (default 4)
#   SECTIONS   any of timing,comparison,peers,cli (default timing,comparison,peers; cli:
#              benchmarks.cli_way, bayescnn train with no flags and its twin, CLI_JOBS at once)
#   COMPARISON_ARGS, PEERS_ARGS   extra arguments (e.g. --only ..., --quick)
#   DEVICE     cuda (default; cpu for a dry run of the plumbing)
# The peers' wheels are installed from .whl/ if present (such machines have no network);
# data must be in ./data (fashion-mnist/, mnist/). Results go to /tmp/gpu-batch (kept while
# the machine stays warm, so a second call resumes) and are copied to $OUT every 10 s.
set -uo pipefail

cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-gpu-batch}"
WORK=/tmp/gpu-batch
mkdir -p "$OUT_DIR" "$WORK"
export PYTHONUNBUFFERED=1
DEADLINE="${DEADLINE:-480}"
DEVICE="${DEVICE:-cuda}"
SECTIONS="${SECTIONS:-timing,comparison,peers}"
PY="${PY:-python3}"
started=$SECONDS
left() { echo $((DEADLINE - (SECONDS - started))); }
wants() { [[ ",$SECTIONS," == *",$1,"* ]]; }

if compgen -G ".whl/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src:$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "$DEVICE" = cuda ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv
fi
"$PY" -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"

copy_back() { cp "$WORK"/*.json* "$WORK"/*.log "$OUT_DIR"/ 2>/dev/null; }
(while sleep 10; do copy_back; done) &
copier=$!

if wants timing; then
    echo "=== timing ($(left) s left)"
    timeout "$(($(left) / 3))" "$PY" -m benchmarks.run --device "$DEVICE" --sections step \
        --models lenet,3conv3fc,resnet18 --output "$WORK/results-$DEVICE-step.json" 2>&1 | tail -30
    if wants peers; then
        timeout "$(($(left) / 4))" "$PY" -m benchmarks.peers --device "$DEVICE" \
            --sections step,predict --out "$WORK/peers-$DEVICE-timing.json" 2>&1 | tail -40
    fi
fi

if [ "$DEVICE" = cuda ] && command -v nvidia-cuda-mps-control >/dev/null; then
    if nvidia-cuda-mps-control -d; then
        if timeout 60 "$PY" -c "import torch; torch.ones(1, device='cuda').sum().item(); print('MPS on')"; then
            :
        else
            echo "MPS client failed: MPS off"
            echo quit | nvidia-cuda-mps-control
        fi
    fi
fi

echo "=== long runs ($(left) s left)"
pids=()
if wants comparison; then
    # shellcheck disable=SC2086
    timeout "$(left)" "$PY" -m benchmarks.comparison --device "$DEVICE" --data-dir data \
        --workers "${WORKERS:-11}" --out "$WORK/comparison.jsonl" ${COMPARISON_ARGS:-} \
        >"$WORK/comparison.log" 2>&1 &
    pids+=($!)
fi
if wants peers; then
    # shellcheck disable=SC2086
    timeout "$(left)" "$PY" -m benchmarks.peers --device "$DEVICE" --data-dir data \
        --sections quality --workers "${PEER_WORKERS:-4}" --out "$WORK/peers-$DEVICE-quality.json" \
        ${PEERS_ARGS:-} >"$WORK/peers.log" 2>&1 &
    pids+=($!)
fi
if wants cli; then
    timeout "$(left)" "$PY" -m benchmarks.cli_way --device "$DEVICE" --data-dir data \
        --jobs "${CLI_JOBS:-12}" --work "$WORK/cli" --out "$WORK/cli-way.json" \
        >"$WORK/cli.log" 2>&1 &
    pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid"; done
kill "$copier" 2>/dev/null
tail -n 60 "$WORK"/*.log
copy_back
echo "=== done in $((SECONDS - started)) s"
