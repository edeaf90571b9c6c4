#!/usr/bin/env bash
# Run the distributed tests N times in a loop and count failures per test: the check that
# they never flake. SELECT is a pytest -k expression (default: every test of the file; the
# issue's count is the two torchrun tests and the DDP gradient test, "torchrun and not killed
# or ddp_gradient"). The package is imported from this checkout's src/ (also in the torchrun
# subprocesses), never from another tree the virtual environment may point at.
# A file OUT_DIR/pause holds the loop between rounds (for a quiet measurement beside it).
# Usage: bash scripts/repeat_distributed_tests.sh N [OUT_DIR] [SELECT]   (about 1 minute a round, quiet)
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:?usage: repeat_distributed_tests.sh N [OUT_DIR] [SELECT]}
out=${2:-$(mktemp -d)}
select=${3:-}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
    while [ -e "$out/pause" ]; do sleep 5; done
    .venv/bin/python -m pytest -q -p no:cacheprovider -m slow -rA ${select:+-k "$select"} \
        tests/train/test_distributed.py > "$out/round-$round.log" 2>&1
    grep -E "^(PASSED|FAILED|ERROR) " "$out/round-$round.log" | sed "s/^/$round /" >> "$out/results.txt"
    echo "$round $(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/rounds.txt"
done
echo "rounds: $rounds; per test, passed and failed:"
awk '{print $2, $3}' "$out/results.txt" | sort | uniq -c
grep -l "terminate called" "$out"/round-*.log 2>/dev/null | sed 's/^/aborted in: /'
