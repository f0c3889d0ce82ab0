#!/usr/bin/env bash
# Detection quality on the five shared data sets (see ../shared/data/README.md): for each seed, trains with the
# DEFAULT settings of `nelbo-trainer.jar train` (only --seed changes) on NAME.train.csv, evaluates on NAME.test.csv
# through the scoring engine, prints per-set and mean AUROC/AP and the realised false-positive rate at the bundle's
# threshold, and rewrites the generated part of docs/quality.md (between its quality:begin/end markers).
#
# Usage: scripts/quality.sh                 (builds the trainer jar first; seeds 1 2 3)
#        SEEDS="1 2 3 4" SKIP_BUILD=1 scripts/quality.sh
#        TRAIN_ARGS="--flow planar --flow-length 4" SEEDS=1 scripts/quality.sh   (a variant: prints its table and
#        validation negative ELBO, leaves docs/quality.md alone)
# Env:   NELBO_SHARED_DATA (default ../shared/data), NELBO_QUALITY_WORK (default target/quality), JOBS (2)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${NELBO_SHARED_DATA:-$ROOT/../shared/data}
WORK=${NELBO_QUALITY_WORK:-$ROOT/target/quality}
JAR=$ROOT/trainer/target/nelbo-trainer.jar
OUT=$ROOT/docs/quality.md
SETS="cardio thyroid shuttle satimage2 mammography"
SEEDS=${SEEDS:-1 2 3}
JOBS=${JOBS:-2}
TRAIN_ARGS=${TRAIN_ARGS:-}

if [ ! -d "$DATA" ]; then
  echo "error: shared data folder $DATA not found (set NELBO_SHARED_DATA)" >&2
  exit 1
fi
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -q -pl trainer -am package -DskipTests)
fi
mkdir -p "$WORK"

field() { # field NAME FILE: a number from the pretty-printed evaluation JSON
  sed -n "s/^ *\"$1\" : \([-0-9.eE]*\).*/\1/p" "$2" | head -1
}

run() { # run NAME SEED: train and evaluate one set with one seed, one result line into its directory
  local name=$1 seed=$2 dir=$WORK/$1-$2 start
  rm -rf "$dir"; mkdir -p "$dir"
  start=$(date +%s)
  # shellcheck disable=SC2086 # TRAIN_ARGS is a list of options
  java -jar "$JAR" train --data "$DATA/$name.train.csv" --out "$dir/model" --seed "$seed" $TRAIN_ARGS > "$dir/train.log"
  java -jar "$JAR" evaluate --model "$dir/model" --data "$DATA/$name.test.csv" --label-column label \
    --json "$dir/evaluation.json" > "$dir/evaluate.log"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$seed" "$(field auroc "$dir/evaluation.json")" \
    "$(field average_precision "$dir/evaluation.json")" "$(field iw_auroc "$dir/evaluation.json")" \
    "$(field false_positive_rate "$dir/evaluation.json")" "$(grep -c '^epoch' "$dir/train.log" || true)" \
    "$(( $(date +%s) - start ))" \
    "$(sed -n 's/^best epoch [0-9]*: validation negative ELBO \(.*\)/\1/p' "$dir/train.log")" > "$dir/result.tsv"
}

for seed in $SEEDS; do
  for name in $SETS; do
    run "$name" "$seed" &
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
  done
done
wait
results=$WORK/results.tsv
for seed in $SEEDS; do for name in $SETS; do cat "$WORK/$name-$seed/result.tsv"; done; done > "$results"

# Peers: IsolationForest, LOF, PCA and KNN (k=5) from ../shared/data/README.md (scikit-learn 1.2.1 on exactly these
# splits); the Gaussian mixture (components by BIC) from scripts/peers.sh, run on 2026-12-02.
peers='cardio 0.9627 0.9147 0.8206 0.9345 0.8427 0.8456
thyroid 0.9891 0.9725 0.8570 0.9877 0.8668 0.9820
shuttle 0.9967 0.9996 0.6522 0.9987 0.9897 0.9941
satimage2 0.9906 0.9965 0.8522 0.9989 0.9327 0.9942
mammography 0.8746 0.8441 0.7448 0.8768 0.3383 0.8741'

table=$(awk -F'\t' -v seeds="$SEEDS" -v peers="$peers" '
  BEGIN { ns = split(seeds, S, " "); np = split(peers, P, "\n")
          for (i = 1; i <= np; i++) { split(P[i], f, " "); order[i] = f[1]; IF[f[1]] = f[2]; LOF[f[1]] = f[3]; PCA[f[1]] = f[4]; KNN[f[1]] = f[5]; IFAP[f[1]] = f[6]; GMM[f[1]] = f[7] } }
  { A[$1, $2] = $3; AP[$1, $2] = $4; IW[$1, $2] = $5; FPR[$1, $2] = $6 }
  END {
    printf "| data set |"; for (s = 1; s <= ns; s++) printf " AUROC seed %s |", S[s]
    printf " mean AUROC | mean AP | mean IW AUROC | realised FPR per seed | IsolationForest | LOF | PCA | KNN (k=5) | GMM (BIC) | IF AP |\n|---|"
    for (s = 1; s <= ns; s++) printf "---|"; print "---|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= np; i++) { n = order[i]; sa = 0; sp = 0; si = 0; fp = ""
      printf "| %s |", n
      for (s = 1; s <= ns; s++) { printf " %.4f |", A[n, S[s]]; sa += A[n, S[s]]; sp += AP[n, S[s]]; si += IW[n, S[s]]
                                  fp = fp (s > 1 ? " / " : "") sprintf("%.4f", FPR[n, S[s]]) }
      printf " **%.4f** | %.4f | %.4f | %s | %s | %s | %s | %s | %s | %s |\n", sa / ns, sp / ns, si / ns, fp, IF[n], LOF[n], PCA[n], KNN[n], GMM[n], IFAP[n]
      for (s = 1; s <= ns; s++) { MA[S[s]] += A[n, S[s]]; MP[S[s]] += AP[n, S[s]] } }
    printf "| **mean** |"; t = 0; tp = 0
    for (s = 1; s <= ns; s++) { printf " **%.4f** |", MA[S[s]] / np; t += MA[S[s]] / np; tp += MP[S[s]] / np }
    printf " **%.4f** | %.4f | | | 0.9627 | 0.9455 | 0.7854 | 0.9593 | 0.9380 | 0.7940 |\n", t / ns, tp / ns
    printf "\nMean AP per seed:"; for (s = 1; s <= ns; s++) printf " seed %s %.4f;", S[s], MP[S[s]] / np; print ""
  }' "$results")

echo "$table"
if [ -n "$TRAIN_ARGS" ]; then
  echo "validation negative ELBO (set seed value):"; cut -f1,2,9 "$results"
  echo "variant '$TRAIN_ARGS': $OUT left as it is"
  exit 0
fi
generated="<!-- quality:begin (generated by scripts/quality.sh on $(date -u +%Y-%m-%d), $(nproc) cores; do not edit by hand) -->
$table
<!-- quality:end -->"
if grep -q '<!-- quality:begin' "$OUT" 2>/dev/null; then
  GEN="$generated" awk '/<!-- quality:begin/ { print ENVIRON["GEN"]; skip = 1; next } /<!-- quality:end -->/ { skip = 0; next } !skip' "$OUT" > "$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
else
  printf '# Detection quality\n\n%s\n' "$generated" > "$OUT"
fi
echo "updated $OUT"
