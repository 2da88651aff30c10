"""Code-switching: replace a word by its translation into another language (PolyGloss,
Tan & Joty, "Code-Mixing on Sesame Street", NAACL 2021), through MUSE dictionaries,
pivoting through English when neither language is English.

Candidates alternate between the embedded languages (first translation of each language,
then the second of each, ...), so a small `max_candidates` still covers every language.
"""

from pathlib import Path

from xrobust.attacks.transformations import keep_valid
from xrobust.lexicon.bilingual import BilingualLexicon, pairs_needed
from xrobust.lexicon.words import restore_case


class CodeSwitch:
    name = "codeswitch"

    def __init__(self, lexicon: BilingualLexicon, embed_languages: tuple[str, ...], max_candidates: int = 20):
        self.lexicon = lexicon
        self.embed_languages = tuple(embed_languages)
        self.max_candidates = max_candidates

    @classmethod
    def load(cls, muse_dir: Path, source_languages, embed_languages, max_candidates: int = 20) -> "CodeSwitch":
        """Read the dictionaries that translating the sources into the embedded languages needs."""
        lexicon = BilingualLexicon.load(muse_dir, pairs_needed(source_languages, embed_languages))
        return cls(lexicon, tuple(embed_languages), max_candidates)

    def candidates(self, word: str, language: str) -> list[str]:
        per_language = [self.lexicon.translations(word, language, target)
                        for target in self.embed_languages if target != language]
        interleaved = (restore_case(word, group[rank])
                       for rank in range(max((len(g) for g in per_language), default=0))
                       for group in per_language if rank < len(group))
        return keep_valid(word, language, interleaved, self.max_candidates)
