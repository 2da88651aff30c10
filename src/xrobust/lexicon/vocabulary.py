"""The words of one language: where same-language substitutes may come from.

The encoder's token table is shared by 100 languages, so its nearest tokens to a German word
are Czech, English or Spanish as often as German (issue 16: elektronischen -> elektronický,
Barber -> cabello). `language_vocabulary` collects words known to be of the language:

1. MUSE: the language's side of `muse/{L}-en.txt` (headwords) and `muse/en-{L}.txt`
   (translations), in file order, which MUSE sorts by frequency; words MUSE gives as their own
   translation (English words on the L side) are not L's. English: the keys of the
   counter-fitted table. Chinese is converted to simplified characters (bilingual.py).
2. The data files: words of `{data_dir}/*/*-{L}.tsv` (every task and split there) seen at least
   `MIN_DATA_COUNT` times, most frequent first. For languages without MUSE (sw, ur) this is
   the only source. Data words that are English words (counter-fitted keys) and not on L's
   MUSE side are dropped (English stopwords too): names and titles of English works fill Latin-script sentences.

Words never offered as substitutes are left out: stopwords, negations, numbers, and words of
another script than most of the language's MUSE words (dropped by the caller, which knows the
word it replaces). `MAX_WORDS` keeps the most frequent: the index holds a vector per word.
"""

import json
from collections import Counter
from functools import cache
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT, BilingualLexicon
from xrobust.lexicon.negations import is_negation
from xrobust.lexicon.numbers import is_number
from xrobust.lexicon.stopwords import is_stopword
from xrobust.lexicon.synonyms import DEFAULT_FILE
from xrobust.lexicon.words import split_words

MIN_DATA_COUNT = 2  # a word seen once in the data is as often a typo or a foreign name as a word
MAX_WORDS = 60_000


@dataclass(frozen=True)
class LanguageVocabulary:
    language: str
    words: tuple[str, ...]  # most frequent first
    counts: dict[str, int] = field(default_factory=dict)  # words contributed by each source
    members: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "members", frozenset(self.words))

    def __contains__(self, word: str) -> bool:
        return word in self.members


def offered(word: str, language: str) -> bool:
    """May `word` be offered as a substitute at all?"""
    return not (is_stopword(word, language) or is_negation(word, language) or is_number(word, language))


def muse_words(language: str, resources: Path) -> list[str]:
    """The language's side of its two MUSE dictionaries, headwords first, in file order."""
    if language == PIVOT:
        return list(_english(resources))
    if language not in MUSE_LANGUAGES:
        return []
    lexicon = BilingualLexicon.load(resources / "muse", {(language, PIVOT), (PIVOT, language)})
    # MUSE lists English words on the L side as their own translation (de "of" -> "of"):
    # those are not words of L (identical loanwords such as "hotel" go too, a small loss).
    words = {w: None for w in lexicon.headwords(language, PIVOT)
             if w.lower() not in (e.lower() for e in lexicon.translations(w, language, PIVOT))}
    for english in lexicon.headwords(PIVOT, language):
        words.update((w, None) for w in lexicon.translations(english, PIVOT, language) if w.lower() != english.lower())
    return list(words)


def data_words(language: str, data_dir: Path) -> Counter:
    """Word counts over the text columns of every `*/*-{language}.tsv` under `data_dir`."""
    counts: Counter = Counter()
    for path in sorted(data_dir.glob(f"*/*-{language}.tsv")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                for column in line.rstrip("\n").split("\t")[:-1]:  # the last column is the label
                    counts.update(p.text for p in split_words(column, language) if p.is_word)
    return counts


def language_vocabulary(language: str, resources: Path | None, data_dir: Path | None) -> LanguageVocabulary:
    muse = muse_words(language, resources) if resources else []
    muse_set = set(muse)
    english = _english(resources) if resources and language != PIVOT else frozenset()
    counts = data_words(language, data_dir) if data_dir and data_dir.is_dir() else Counter()
    from_data = [w for w, n in counts.most_common() if n >= MIN_DATA_COUNT
                 and (w in muse_set or not _is_english(w, english))]
    words = [w for w in dict.fromkeys(from_data + muse) if offered(w, language)][:MAX_WORDS]
    return LanguageVocabulary(language, tuple(words), {"muse": len(muse), "data": len(from_data)})


def _is_english(word: str, english: frozenset[str]) -> bool:
    return bool(english) and (word.lower() in english or is_stopword(word, PIVOT))


@cache  # the counter-fitted file is 10 MB of JSON; read once per process
def _english(resources: Path) -> frozenset[str]:
    """English words: the counter-fitted table's keys (lower-case); empty if the file is absent."""
    path = resources / DEFAULT_FILE
    if not path.is_file():
        return frozenset()
    return frozenset(word.lower() for word in json.loads(path.read_text(encoding="utf-8")))


class LazyVocabularies(dict):
    """language -> its vocabulary's words, each read on first use (for tools that may be asked
    about any language, such as `xrobust lexicon coverage --neighbors`)."""

    def __init__(self, resources: Path | None, data_dir: Path | None):
        super().__init__()
        self.resources, self.data_dir = resources, data_dir

    def __missing__(self, language: str) -> tuple[str, ...]:
        self[language] = language_vocabulary(language, self.resources, self.data_dir).words
        return self[language]
