#!/bin/bash
# rs-da's substitution rules on PAWS-X (docs/results/robust-training.md, "rs-da: the published
# rule"): standard vs rs-da with the published rule vs case-insensitive look-up vs per-pair
# draws, 3 seeds each, one shared MNLI stage, the same recipe; two runs at a time, one thread
# each. Every run resumes if interrupted; a finished run is not retrained.
# Needs XROBUST_DATA and XROBUST_RESOURCES (see README). About an hour on 2 CPU cores.
set -euo pipefail
OUT=${OUT:-runs/rs-da-rules}
SEEDS=${SEEDS:-"42 1 2"}
export OMP_NUM_THREADS=1 TQDM_DISABLE=1

# One intermediate MNLI stage (4,000 pairs, one epoch), shared by every PAWS-X run.
xrobust train --task mnli --max-train-examples 4000 --max-dev-examples 500 --epochs 1 \
  --learning-rate 5e-5 --head-learning-rate 1e-3 --freeze-word-embeddings --checkpoint-every 0 \
  --seed 42 --output-dir $OUT/mnli > $OUT.mnli.log 2>&1 || { cat $OUT.mnli.log; exit 1; }

# PAWS-X: all 1,600 English pairs, 3 epochs of batch 16 (300 steps), English-dev selection,
# zero-shot on the whole dev split of the 7 languages.
RECIPE="--task pawsx --model $OUT/mnli/model --epochs 3 --batch-size 16 --learning-rate 5e-5
        --head-learning-rate 1e-3 --freeze-word-embeddings --checkpoint-every 0"
declare -A OPTIONS=(
  [standard]="--method standard"
  [rs-da-published]="--method rs-da"
  [rs-da-case-insensitive]="--method rs-da --synonym-lookup case-insensitive"
  [rs-da-per-pair]="--method rs-da --substitution per-pair"
)
jobs=()
for seed in $SEEDS; do
  for variant in standard rs-da-published rs-da-case-insensitive rs-da-per-pair; do
    jobs+=("xrobust train $(echo $RECIPE) ${OPTIONS[$variant]} --seed $seed --output-dir $OUT/pawsx-$variant-s$seed")
  done
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -I{} bash -c '{} > /dev/null 2>&1 || echo "failed: {}"'
xrobust compare $OUT/pawsx-*-s* --output-dir $OUT/compare
