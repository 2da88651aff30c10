#!/bin/bash
# The measured study of docs/results/study.md: runs (or resumes) studies/intermediate-robustness.toml,
# writes its report from the folders, and copies what the page shows into docs/results/study/:
# study.json (every number and figure), provenance.json (commit, machine, compute), the
# generated study.md and its figures/. Run from the repository root; needs XROBUST_DATA and
# XROBUST_RESOURCES (see README). About 12 hours on 2 CPU cores; an interrupted run resumes
# where it stopped when started again (RUN=... must name the same folder).
set -euo pipefail
RUN=${RUN:-runs/ir}
WORKERS=${WORKERS:-2}  # one unit per worker; each gets cores / WORKERS torch threads
export TQDM_DISABLE=1

if [ "${RUN_STUDY:-1}" = 1 ]; then
  # runs what is left, then writes the report (study.json, study.md, figures/) into $RUN
  xrobust study --spec studies/intermediate-robustness.toml --output-dir "$RUN" --workers "$WORKERS"
else
  # RUN_STUDY=0: publish what has finished so far (the report says how many cells)
  xrobust study --output-dir "$RUN" --report
fi
xrobust study --output-dir "$RUN" --status | sed -n 1p  # sed reads it all: no broken pipe under pipefail

OUT=docs/results/study
rm -rf "$OUT"
mkdir -p "$OUT/figures"
cp "$RUN"/study.json "$RUN"/provenance.json "$RUN"/study.md "$OUT"/
cp "$RUN"/figures/*.png "$OUT"/figures/
echo "published to $OUT"
