#!/bin/bash
# rs-da from the bare encoder on PAWS-X (docs/results/study.md, "A stable recipe"): the study's
# cell recipe (500 steps, English-dev selection) with rs-da's published rule (independent draws)
# and with per-pair draws, 5 seeds each, two runs at a time, one thread each; then the per-pair
# cells zero-shot on the 7 dev languages, paired by seed with the study's `none` / standard
# cells (from docs/results/study/units.tar.xz). The rule was chosen on English dev alone.
# Needs XROBUST_DATA and XROBUST_RESOURCES (see README). About an hour on 2 CPU cores; a
# finished run is not retrained (remove its folder to redo it).
set -euo pipefail
OUT=${OUT:-runs/rs-da-bare}
SEEDS=${SEEDS:-"42 1 2 3 4"}
export OMP_NUM_THREADS=1 TQDM_DISABLE=1
mkdir -p "$OUT"

RECIPE="--task pawsx --epochs 5 --batch-size 16 --learning-rate 5e-5 --head-learning-rate 1e-3
        --freeze-word-embeddings --precision bf16 --max-train-examples 1600 --method rs-da
        --eval-languages en --checkpoint-every 0"
jobs=()
for seed in $SEEDS; do
  for rule in independent per-pair; do
    [ -f "$OUT/$rule-s$seed/metrics.json" ] && continue
    jobs+=("xrobust train $(echo $RECIPE) --substitution $rule --seed $seed --output-dir $OUT/$rule-s$seed")
  done
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -I{} sh -c '{} > /dev/null 2>&1 || { echo "failed: {}"; exit 255; }'

echo "English dev of the selected checkpoint (at or below 0.62: stayed at the majority class)"
for rule in independent per-pair; do
  for seed in $SEEDS; do
    python3 -c "import json,sys; print(sys.argv[1], round(json.load(open(sys.argv[2]))['stages'][-1]['best_dev_score'], 3))" \
      "$rule s$seed" "$OUT/$rule-s$seed/metrics.json"
  done
done

for seed in $SEEDS; do
  [ -f "$OUT/per-pair-s$seed/evaluations/pawsx-dev/metrics.json" ] || \
    xrobust evaluate "$OUT/per-pair-s$seed" --task pawsx --languages en,de,es,fr,ja,ko,zh --precision bf16 > /dev/null
done
mkdir -p "$OUT/study" && tar -C "$OUT/study" -xJf docs/results/study/units.tar.xz
python3 - "$OUT" $SEEDS <<'PY'
import sys
from pathlib import Path

import numpy as np
from xrobust.results.rundir import read_json
from xrobust.study.statistics import paired_by_seed
out, seeds = sys.argv[1], sys.argv[2:]
languages = ["en", "de", "es", "fr", "ja", "ko", "zh"]
def accuracy(path):
    found = read_json(Path(path))["accuracy"]
    return {**{l: found[l] for l in languages}, "average": float(np.mean([found[l] for l in languages]))}
per_pair = [accuracy(f"{out}/per-pair-s{s}/evaluations/pawsx-dev/metrics.json") for s in seeds]
standard = [accuracy(f"{out}/study/cells/none/standard/s{s}/metrics.json") for s in seeds]
print(f"clean zero-shot accuracy, rs-da per-pair minus the study's none / standard, paired by seed (n={len(seeds)}),"
      " 95% t-interval, uncorrected p")
for language in languages + ["average"]:
    a, b = [r[language] for r in per_pair], [r[language] for r in standard]
    d = paired_by_seed(a, b)
    print(f"{language}: {np.mean(a):.3f} vs {np.mean(b):.3f}: {d.difference:+.3f} [{d.ci95[0]:+.3f}, {d.ci95[1]:+.3f}] "
          f"p={d.p:.3f}")
PY
