#!/usr/bin/env bash
# Run the distributed tests (the two torchrun tests and the DDP gradient test) N times in a
# loop and count failures per test: the check that they never flake.
# Usage: bash scripts/repeat_distributed_tests.sh N [OUT_DIR]   (about 1 minute a round, quiet)
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:?usage: repeat_distributed_tests.sh N [OUT_DIR]}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
    .venv/bin/python -m pytest -q -p no:cacheprovider -m slow -rA \
        tests/train/test_distributed.py > "$out/round-$round.log" 2>&1
    grep -E "^(PASSED|FAILED|ERROR) " "$out/round-$round.log" | sed "s/^/$round /" >> "$out/results.txt"
done
echo "rounds: $rounds; per test, passed and failed:"
awk '{print $2, $3}' "$out/results.txt" | sort | uniq -c
grep -l "terminate called" "$out"/round-*.log 2>/dev/null | sed 's/^/aborted in: /'
