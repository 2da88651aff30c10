"""Cheap validity figures of the muse-pivot synonym source (no model): per language, what each
consistency rule keeps, and the share of PAWS-X dev words (400 rows, both sentences) that have
a synonym under the published (exact-case) and case-insensitive look-ups. Run by hand:

    XROBUST_DATA=... XROBUST_RESOURCES=... python benchmarks/synonym_source_validity.py de es fr ja ko zh
"""

import os
import sys
from pathlib import Path

from xrobust.lexicon.bilingual import BilingualLexicon
from xrobust.lexicon.muse_pivot import CONSISTENCY_RULES, pivot_synonyms
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.robust.augment import substitution_pieces
from xrobust.tasks import get_task, load_examples


def main(languages):
    resources, data = Path(os.environ["XROBUST_RESOURCES"]), os.environ["XROBUST_DATA"]
    english = SynonymTable.load(resources / "counterfitted_neighbors.json")
    print("| language | rule | headwords | with synonyms | synonyms per word | kept of candidates | "
          "PAWS-X words covered (published / case-insensitive) |")
    print("|---|---|---|---|---|---|---|")
    for language in languages:
        lexicon = BilingualLexicon.load(resources / "muse", {(language, "en"), ("en", language)})
        examples, _ = load_examples(data, get_task("pawsx"), "dev", language)
        for rule in CONSISTENCY_RULES:
            table, stats = pivot_synonyms(language, lexicon, english, rule)
            synonyms = SynonymTable(table, language, "muse-pivot")
            shares = []
            for lookup in ("published", "case-insensitive"):
                words = [p.text for e in examples for s in (e.sentence1, e.sentence2)
                         for p in substitution_pieces(s, language, lookup) if p.is_word]
                found = [w for w in words if (synonyms.exact(w) if lookup == "published" else w in synonyms)]
                shares.append(len(found) / max(len(words), 1))
            print(f"| {language} | {rule} | {stats.headwords} | {stats.with_synonyms} | "
                  f"{stats.candidates_kept / max(stats.with_synonyms, 1):.2f} | "
                  f"{stats.candidates_kept / max(stats.candidates_before_rule, 1):.1%} | "
                  f"{shares[0]:.1%} / {shares[1]:.1%} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["de", "es", "fr", "ja", "ko", "zh"])
