"""Synonym swaps from counter-fitted word vectors' neighbour lists (Mrksic et al., 2016), the
table Robust-XLT used for RS-DA. The table is English, so other languages get no candidates."""

from xrobust.attacks.transformations import keep_valid
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import restore_case


class SynonymSwap:
    name = "synonym"

    def __init__(self, table: SynonymTable, max_candidates: int = 20, language: str = "en"):
        self.table = table
        self.max_candidates = max_candidates
        self.language = language  # the table's language

    def candidates(self, word: str, language: str) -> list[str]:
        if language != self.language:
            return []
        found = (restore_case(word, w) for w in self.table.neighbours(word))
        return keep_valid(word, language, found, self.max_candidates)
