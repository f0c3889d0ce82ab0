#!/usr/bin/env bash
# Training-loop benchmark (not a test): seconds per epoch on 100,000 x 32, hidden 64,64, latent 8,
# batch 256, with 1 and with 2 PyTorch intra-op threads (each in its own JVM: DJL reads the thread
# count once, at engine start), next to the issue's yardstick, a plain PyTorch loop of the same shape
# (scripts/pytorch_reference.py), run in between so that the ratio comes from one run on one machine.
#
# Usage: scripts/bench-trainer.sh [epochs]
# Env:   NELBO_TORCH_PYTHON  a python with the torch package (default python3); without one the
#                            reference is skipped and only nelbo's figures are printed
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EPOCHS=${1:-6}
PYTHON=${NELBO_TORCH_PYTHON:-python3}
cd "$ROOT"
mvn -B -q -pl trainer -am install -DskipTests
mvn -B -q -pl trainer test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt
CP="trainer/target/test-classes:trainer/target/classes:$(cat trainer/target/bench-classpath.txt)"

nelbo() { # nelbo THREADS: prints the benchmark's summary line
  java -Dai.djl.offline=true -DDJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}" \
    -Dai.djl.pytorch.num_threads="$1" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$CP" dev.nelbo.trainer.vae.TrainingBenchmark "$EPOCHS" 2>/dev/null | grep -E '^threads='
}
per_epoch() { sed -n 's/.*later epochs \([0-9.]*\) s\/epoch.*/\1/p'; }

one=$(nelbo 1); echo "nelbo   $one"
if "$PYTHON" -c 'import torch' 2>/dev/null; then
  ref=$("$PYTHON" scripts/pytorch_reference.py "$EPOCHS"); echo "pytorch $ref"
  again=$(nelbo 1); echo "nelbo   $again"
  n=$(printf '%s\n%s\n' "$one" "$again" | per_epoch | awk '{s += $1} END {printf "%.3f", s / NR}')
  plain=$(sed -n 's/.* plain \([0-9.]*\) s\/epoch.*/\1/p' <<<"$ref")
  same=$(sed -n 's/.*same-work \([0-9.]*\) s\/epoch.*/\1/p' <<<"$ref")
  awk -v n="$n" -v p="$plain" -v s="$same" 'BEGIN {
    printf "ratio: nelbo %.3f s/epoch (mean of the two runs around the reference) = %.2fx the plain PyTorch loop (%.3f s), %.2fx the same work in PyTorch (%.3f s); target <= 1.2x\n", n, n / p, p, n / s, s }'
else
  echo "pytorch reference skipped: no torch in $PYTHON (set NELBO_TORCH_PYTHON); the issue quotes ~0.35 s/epoch for it"
fi
echo "nelbo   $(nelbo 2)"
