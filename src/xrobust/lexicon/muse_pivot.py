"""`muse-pivot`: synonyms for any MUSE language, built offline through English.

For a word w of language L (a headword of MUSE's L-en dictionary):
1. its English translations E (the first `MAX_SENSES` MUSE lists: the most frequent senses
   come first, later ones drift to rare senses and names);
2. the pivot set P = E plus the counter-fitted neighbours of every word of E;
3. candidates: the translations back into L (en-L) of every word of P, in that order;
4. the consistency rule keeps a candidate c only if MUSE agrees on the way back, judged on
   c's own first `MAX_SENSES` English translations (its main senses; MUSE is nearly
   symmetric, so checking every listed translation would keep almost everything):
   - `shared-translation` (default): c's main translations meet E: c and w share a main
     English translation (German: katze -> kätzchen, katzen; fertiggestellt -> abgeschlossen,
     beendet, erledigt);
   - `back-translation`: c's main translations meet P, i.e. c mainly means w's
     translation or one of its counter-fitted neighbours (the issue's "pivot agreement":
     every substitute this rule keeps agrees by construction);
     It removes only ~4% of candidates (German), keeping drift through noisy neighbours
     (katze -> unterhaltungen, via cat -> chat), hence not the default;
   - `none`: no check (for measuring what the check removes).
Stopwords (of L and of English) and numbers (lexicon/numbers.py: digits, numerals, number
words, month names) are neither keys nor candidates:
function words translate to a handful of frequent English words ("die" -> "the") whose
neighbours are not their synonyms, and a changed number changes the facts. MUSE's L side
also lists English words as their own translation (de "cats" -> "cats", zh "cat"); a
candidate in another script than w, or a word listed as its own translation, is dropped, so
every substitute stays in the language (identical loanwords such as "hotel" go too). For the
same reason a headword MUSE lists as its own translation gets no synonyms: it is a name or an
English word inside L's text, and pivoting would read it as English (German sentences of
PAWS-X: Rob -> berauben, Barber -> Friseur, Mount -> besteigen, Lake -> Stausee).
Measured effect of each rule: docs/results/perturbation-validity.md.
"""

from dataclasses import dataclass

from xrobust.lexicon.bilingual import PIVOT, BilingualLexicon
from xrobust.lexicon.numbers import is_number
from xrobust.lexicon.stopwords import is_stopword
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import script_of

CONSISTENCY_RULES = ("shared-translation", "back-translation", "none")
DEFAULT_RULE = "shared-translation"
MAX_SENSES = 3  # English translations of a word (and L translations of a pivot word) followed


@dataclass(frozen=True)
class PivotStats:
    """How many headwords got synonyms, and what the rule removed (for the docs' figures)."""

    headwords: int
    with_synonyms: int
    candidates_before_rule: int
    candidates_kept: int


def _usable(word: str, language: str) -> bool:
    return not is_number(word, language) and not is_stopword(word, language)


def _in_language(candidate: str, word: str, main_senses: list[str]) -> bool:
    """Same script as `word`, and not a word MUSE lists as its own translation (mostly English
    words on the L side; identical loanwords go too, a small loss for certainty)."""
    if script_of(candidate) != script_of(word):
        return False
    return candidate.lower() not in (s.lower() for s in main_senses)


def pivot_synonyms(language: str, lexicon: BilingualLexicon, english: SynonymTable,
                   rule: str = DEFAULT_RULE) -> tuple[dict[str, list[str]], PivotStats]:
    """word -> synonyms for every usable headword of the `language`-en dictionary.
    `lexicon` must hold `language`-en and en-`language`."""
    if rule not in CONSISTENCY_RULES:
        raise ValueError(f"unknown consistency rule {rule!r}")
    table: dict[str, list[str]] = {}
    before = kept = 0
    headwords = [w for w in lexicon.headwords(language, PIVOT) if _usable(w, language)]
    for word in headwords:
        main = lexicon.translations(word, language, PIVOT)[:MAX_SENSES]
        if word.lower() in (e.lower() for e in main):
            continue  # an English word or a name in L's text (see the module's docstring)
        senses = [e for e in main if _usable(e, PIVOT)]
        pivots = list(dict.fromkeys(senses + [n for e in senses for n in english.neighbours(e)]))
        candidates, main_senses = [], {}
        for english_word in pivots:
            for candidate in lexicon.translations(english_word, PIVOT, language)[:MAX_SENSES]:
                if candidate.lower() == word.lower() or candidate in main_senses or not _usable(candidate, language):
                    continue
                main_senses[candidate] = lexicon.translations(candidate, language, PIVOT)[:MAX_SENSES]
                if _in_language(candidate, word, main_senses[candidate]):
                    candidates.append(candidate)
        before += len(candidates)
        if rule != "none":
            agree_with = set(senses if rule == "shared-translation" else pivots)
            candidates = [c for c in candidates if agree_with.intersection(main_senses[c])]
        kept += len(candidates)
        if candidates:
            table[word] = candidates
    return table, PivotStats(len(headwords), len(table), before, kept)


def pivot_table(language: str, lexicon: BilingualLexicon, english: SynonymTable,
                rule: str = DEFAULT_RULE) -> SynonymTable:
    table, _ = pivot_synonyms(language, lexicon, english, rule)
    return SynonymTable(table, language, "muse-pivot")
