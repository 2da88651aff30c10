#!/bin/bash
# Does bf16 autocast change accuracy? The quickstart's run (XNLI, 6,000 English pairs, one
# epoch, 300 dev rows in each of 15 languages) in fp32 and in bf16, seeds 42, 1 and 2; two
# runs at a time, one thread each. Compare with `xrobust compare $OUT/*` (BENCHMARKS.md).
set -euo pipefail
OUT=${OUT:-runs/bf16-accuracy}
export OMP_NUM_THREADS=1 TQDM_DISABLE=1
QUICKSTART="--task xnli --max-train-examples 6000 --max-dev-examples 500 --max-eval-examples 300 --epochs 1
            --learning-rate 5e-5 --head-learning-rate 1e-3 --freeze-word-embeddings --checkpoint-every 100"
for seed in 42 1 2; do
  for precision in fp32 bf16; do
    echo "xrobust train $(echo $QUICKSTART) --precision $precision --seed $seed --output-dir $OUT/xnli-$precision-s$seed"
  done
done | xargs -P 2 -I{} bash -c '{} > /dev/null 2>&1 || echo "failed: {}"'
