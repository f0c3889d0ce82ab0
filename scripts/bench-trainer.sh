#!/usr/bin/env bash
# Training-loop benchmark (not a test): seconds per epoch on 100,000 x 32, hidden 64,64, latent 8,
# batch 256, with 1 and with 2 PyTorch intra-op threads (each in its own JVM: DJL reads the thread
# count once, at engine start). Usage: scripts/bench-trainer.sh [epochs]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EPOCHS=${1:-6}
cd "$ROOT"
mvn -B -q -pl trainer -am install -DskipTests
mvn -B -q -pl trainer test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt
CP="trainer/target/test-classes:trainer/target/classes:$(cat trainer/target/bench-classpath.txt)"
for threads in 1 2; do
  java -Dai.djl.offline=true -DDJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}" \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$CP" dev.nelbo.trainer.vae.TrainingBenchmark "$EPOCHS" | grep -E '^threads='
done
