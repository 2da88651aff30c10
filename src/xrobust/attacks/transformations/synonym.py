"""Synonym swaps from a synonym source (lexicon/synonym_sources.py): the counter-fitted
neighbours of Mrksic et al. (2016), the table Robust-XLT used for RS-DA (English), `muse-pivot`
(every MUSE language), `encoder-neighbours` (every task language) or a per-language table. A
word is looked up only in the table of its sentence's language: the English table would "find"
German `die` (died)."""

from xrobust.attacks.transformations import keep_valid
from xrobust.lexicon.words import restore_case


class SynonymSwap:
    name = "synonym"

    def __init__(self, synonyms, max_candidates: int = 20):
        """`synonyms`: a SynonymTable (its own language) or a SynonymLexicon (a table per language)."""
        self.synonyms = synonyms
        self.max_candidates = max_candidates

    def candidates(self, word: str, language: str) -> list[str]:
        table = self.synonyms.table_for(language)
        if table is None:
            return []
        found = (restore_case(word, w) for w in table.neighbours(word))
        return keep_valid(word, language, found, self.max_candidates)
