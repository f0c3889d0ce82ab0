#!/usr/bin/env bash
# The Gaussian-mixture peer of docs/quality.md on the five shared data sets (see ../shared/data/README.md):
# features standardised on train, full-covariance mixtures of 1-10 components fitted by Apache Commons Math's EM,
# the number chosen by BIC on the training rows, test rows scored by -log p(x). Prints AUROC and AP per set.
# IsolationForest, LOF, PCA and k-nearest-neighbours stay those of ../shared/data/README.md (scikit-learn): no
# maintained Java implementation of them was available here.
#
# Usage: scripts/peers.sh [set ...]       (default: all five)
# Env:   NELBO_SHARED_DATA (default ../shared/data)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${NELBO_SHARED_DATA:-$ROOT/../shared/data}
if [ ! -d "$DATA" ]; then
  echo "error: shared data folder $DATA not found (set NELBO_SHARED_DATA)" >&2
  exit 1
fi
cd "$ROOT"
mvn -B -q -pl trainer -am install -DskipTests
mvn -B -q -pl trainer test-compile dependency:build-classpath -Dmdep.outputFile=target/peers-classpath.txt
CP="trainer/target/test-classes:trainer/target/classes:$(cat trainer/target/peers-classpath.txt)"
if [ $# -eq 0 ]; then set -- cardio thyroid shuttle satimage2 mammography; fi
java -cp "$CP" dev.nelbo.trainer.quality.GaussianMixtureBaseline "$DATA" "$@"
