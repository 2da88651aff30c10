"""`xrobust augment`: rs-da's copies written out in the XTREME layout, as Robust-XLT's
`perturb.py` writes them (copies of an example on consecutive lines, no clean copy).

Copy k of example i is copy number i + k * len(examples) drawn with `epoch=None`: exactly
the copies a `--augment-mode static --augment-copies N` training run with the same seed
trains on, so the file is a faithful view of what that run sees. Lines are written as they
are drawn; nothing but the output file is held whole.
"""

import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from xrobust.errors import UserError
from xrobust.lexicon.synonym_sources import DEFAULT_SOURCES, check_covered, load_synonyms
from xrobust.progress import progress_bar
from xrobust.results.rundir import environment, file_sha256, write_json
from xrobust.robust.augment import copy_rng, perturb_pair
from xrobust.robust.settings import SubstitutionRule
from xrobust.tasks import get_task, load_examples


def write_augmented_split(data_dir: Path | str, task_name: str, split: str, copies: int, seed: int,
                          table_path: Path, rule: SubstitutionRule, output_dir: Path, language: str = "en",
                          sources: tuple[str, ...] = DEFAULT_SOURCES, encoder=None) -> dict:
    """Write `copies` perturbed copies of every `split` pair in `language` of `task_name` to
    `output_dir/<task>/<file>` and a summary (`augment.json`); return the summary. A language
    no source in `sources` covers is refused (nothing would change but spelling accidents).
    `encoder`: for `encoder-neighbours`, the encoder (or a function loading it) whose neighbours to draw."""
    if copies < 1:
        raise UserError("--copies: must be at least 1")
    task = get_task(task_name)
    check_covered(sources, [language], "--synonym-source", table_path)
    examples, report = load_examples(data_dir, task, split, language)
    table = load_synonyms(sources, [language], table_path, encoder=encoder,
                          data_dir=Path(data_dir) if data_dir else None)
    out_path = output_dir / task.folder / task.file_name(split, language)
    if out_path.exists():
        raise UserError(f"--output-dir {output_dir}: {out_path} exists already; choose another folder")
    out_path.parent.mkdir(parents=True, exist_ok=True)

    sentences = words = substitutable = changed = unchanged = 0
    handle, temp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for i, example in enumerate(progress_bar(iterable=examples, desc=f"augment {task_name} {split}", unit="pair")):
            for k in range(copies):
                rng = copy_rng(seed, task_name, i + k * len(examples), epoch=None)
                first, second = perturb_pair(example, table, rng, rule)
                out.write(f"{first.text}\t{second.text}\t{example.label}\n")
                for sentence in (first, second):
                    sentences += 1
                    words += sentence.words
                    substitutable += sentence.substitutable
                    changed += sentence.changed
                    unchanged += sentence.changed == 0
    os.replace(temp, out_path)  # only a complete file gets the real name

    summary = {
        "task": task_name, "split": split, "language": language, "copies": copies, "seed": seed, "rule": asdict(rule),
        "source": {"path": report.path, "rows": report.rows, "kept": report.kept,
                   "skipped_blank": report.skipped},
        "synonyms": {"path": str(table_path), "sha256": file_sha256(table_path), **table.describe(),
                     "files": {path: {"role": role, "sha256": file_sha256(Path(path))}
                               for path, role in table.files.items()}},
        "output": str(out_path), "pairs_written": len(examples) * copies,
        # Per perturbed sentence: words the rule looked up, could change and did change; the
        # share of looked-up words changed, and of sentences left exactly as they were.
        "words_per_sentence": round(words / max(sentences, 1), 4),
        "substitutable_per_sentence": round(substitutable / max(sentences, 1), 4),
        "changed_per_sentence": round(changed / max(sentences, 1), 4),
        "changed_fraction": round(changed / max(words, 1), 4),
        "unchanged_sentences": round(unchanged / max(sentences, 1), 4),
        "environment": environment(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_json(output_dir / "augment.json", summary)
    return summary
