#!/bin/bash
# The robust-training study of docs/results/robust-training.md, as it was run (one command
# per run; every xrobust run resumes if interrupted, and a finished run is not retrained).
# Needs XROBUST_DATA and XROBUST_RESOURCES (see README). About 4 hours on 2 CPU cores.
set -euo pipefail
OUT=${OUT:-runs/study}
SEEDS=${SEEDS:-"42 1 2"}
ADV="--adv-steps 1 --adv-step-size 0.02 --adv-eps 0.02"  # K = 1: ~2x the cost of standard
method_options() {
  case $1 in
    adv) echo "$ADV" ;;
    rs-da-per-pair) echo "--substitution per-pair" ;;
  esac
}
method_name() { echo "${1%-per-pair}"; }  # rs-da-per-pair is rs-da with one draw per word and pair

# study TASK "TRAIN OPTIONS" "METHODS" "GENERALIZED OPTIONS": every method x seed, then the
# generalized evaluation of each run (skipped once written)
study() {
  for seed in $SEEDS; do
    for method in $3; do
      run=$OUT/$1-$method-s$seed
      xrobust train $2 --method $(method_name $method) $(method_options $method) --seed $seed --output-dir $run
      [ -f $run/generalized/generalized.json ] ||
        xrobust evaluate $run --task $1 --generalized $4 --output-dir $run/generalized
    done
  done
}

# XNLI: the quickstart's settings (6,000 English pairs, one epoch), 300 dev rows per language.
study xnli "--task xnli --max-train-examples 6000 --max-dev-examples 500 --max-eval-examples 300 --epochs 1
            --learning-rate 5e-5 --head-learning-rate 1e-3 --freeze-word-embeddings --checkpoint-every 100" \
  "standard rs-da rs-ri adv" "--languages en,de,ar,zh,sw --max-examples 200"

# PAWS-X: one intermediate MNLI stage (4,000 pairs, one epoch, seed 42; the stage 1 of the
# BENCHMARKS.md run), shared by every PAWS-X run; then 2 epochs on the 1,600 English pairs.
xrobust train --task pawsx --intermediate mnli --max-intermediate-examples 4000 --epochs 3 \
  --learning-rate 5e-5 --head-learning-rate 1e-3 --freeze-word-embeddings --checkpoint-every 0 \
  --output-dir $OUT/pawsx-after-mnli
study pawsx "--task pawsx --model $OUT/pawsx-after-mnli/stage-1-mnli/best --epochs 2 --learning-rate 5e-5
             --head-learning-rate 1e-3 --freeze-word-embeddings --checkpoint-every 0" \
  "standard rs-da rs-da-per-pair rs-ri adv" "--languages en,de,fr,ja,zh --max-examples 100"

xrobust compare $OUT/xnli-*-s* --output-dir $OUT/compare-xnli
xrobust compare $OUT/pawsx-{standard,rs-da,rs-da-per-pair,rs-ri,adv}-s* --output-dir $OUT/compare-pawsx
