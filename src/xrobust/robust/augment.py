"""RS-DA: randomized smoothing by data augmentation with synonym substitution.

A copy of a pair replaces each substitutable word by a uniform draw from {itself} + its
neighbours. Which words are substitutable, and whether a word shared by both sentences is
drawn once, is the `SubstitutionRule`:

- lookup `published` (default): Robust-XLT's `perturb.py`: tokens between single spaces,
  looked up exactly as written. A token with punctuation attached ("Jr.", "war,") or a
  capital letter ("Green", "The") is not a key of the counter-fitted table, so it never
  changes. Scripts written without spaces (zh, ja, th, ...) use `split_words` instead, so
  that there is a word to look up at all.
- lookup `case-insensitive` (xrobust 0.1): words between punctuation (`split_words`), looked
  up lower-cased; the replacement takes the original's capitalisation, so names change too.
- draw `independent` (the paper's): every occurrence drawn on its own, the two sentences
  independently; `per-pair`: one draw per word and pair, so a shared word stays shared.

Every substitution knows its sentence's language: the synonyms (a `SynonymTable`, which
declares its one language, or a `SynonymLexicon` with a table per language) are asked for
that language's table, and a sentence in a language without one stays as it is. The two
sentences of a generalized pair (language "de-en") are looked up in their own languages.

Every copy has its own random stream (`copy_rng`), so a copy is a pure function of (seed,
task, copy number[, epoch]): training rebuilds the same copies when it resumes, and
`xrobust augment` writes exactly the copies of a `--augment-mode static` run.
"""

import random
from dataclasses import dataclass, replace
from typing import Union

from xrobust.lexicon.synonym_sources import SynonymLexicon
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import Piece, split_words
from xrobust.robust.settings import SubstitutionRule
from xrobust.tasks import Example

# Languages written without spaces between words: `published` splits them into words with
# `split_words`, since a space-delimited token there is a whole phrase.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})

Synonyms = Union[SynonymTable, SynonymLexicon]  # both answer `table_for(language)`


def side_languages(example: Example) -> tuple[str, str]:
    """The languages of sentence1 and sentence2 (a generalized pair is "l1-l2", generalized.py)."""
    first, _, second = example.language.partition("-")
    return first, second or first


def copy_rng(seed: int, task: str, copy: int, epoch: int | None) -> random.Random:
    """The draws of one copy. `epoch=None`: the same copy every epoch (static copies).
    (`random` seeds strings through SHA-512, independent of PYTHONHASHSEED.)"""
    when = "static" if epoch is None else f"epoch{epoch}"
    return random.Random(f"rs-da/{seed}/{when}/{task}/{copy}")


def substitution_pieces(text: str, language: str, lookup: str) -> list[Piece]:
    """`text` cut into the pieces the rule looks up (is_word) and the rest; lossless."""
    if lookup == "case-insensitive" or language in UNSPACED_LANGUAGES:
        return split_words(text, language)
    pieces = []
    for index, token in enumerate(text.split(" ")):  # exactly perturb.py's `sentence.split(' ')`
        if index:
            pieces.append(Piece(" ", False))
        if token:
            pieces.append(Piece(token, True))
    return pieces


def substitution_choices(word: str, table: SynonymTable, lookup: str) -> list[str]:
    """{word} + its neighbours, the word first; just [word] when it has none."""
    if lookup == "case-insensitive":
        return table.choices(word)
    return [word] + table.exact(word)


@dataclass(frozen=True)
class Substitution:
    """One perturbed sentence and how many of its words could and did change."""

    text: str
    words: int  # pieces the rule looked up (tokens or words)
    substitutable: int  # of those, words with at least one neighbour
    changed: int  # of those, replaced by a different word


def substitute_synonyms(text: str, synonyms: Synonyms, rng: random.Random, rule: SubstitutionRule = SubstitutionRule(),
                        language: str = "en", drawn: dict[str, int] | None = None) -> Substitution:
    """`text` (in `language`) with each substitutable word replaced by a uniform draw from its
    choices; unchanged, drawing nothing, when no table covers `language`.

    Spaces and punctuation stay exactly where they were. With `drawn` (look-up key -> index
    of its draw), a word drawn before keeps its draw: pass one dict for both sentences of a
    pair to substitute a word the same way wherever it occurs in the pair (`per-pair`).
    """
    out, words, substitutable, changed = [], 0, 0, 0
    table = synonyms.table_for(language)
    for piece in substitution_pieces(text, language, rule.lookup):
        words += piece.is_word
        if table is None:
            out.append(piece.text)
            continue
        choices = substitution_choices(piece.text, table, rule.lookup) if piece.is_word else []
        if len(choices) < 2:
            out.append(piece.text)
            continue
        key = piece.text.lower() if rule.lookup == "case-insensitive" else piece.text
        if drawn is not None and key in drawn:
            index = drawn[key]
        else:
            index = rng.randrange(len(choices))
            if drawn is not None:
                drawn[key] = index
        substitutable += 1
        changed += index != 0
        out.append(choices[index])
    return Substitution("".join(out), words, substitutable, changed)


def perturb_pair(example: Example, table: Synonyms, rng: random.Random,
                 rule: SubstitutionRule = SubstitutionRule()) -> tuple[Substitution, Substitution]:
    """Both sentences of `example`, perturbed, with their counts (sentence1 drawn first)."""
    first, second = side_languages(example)
    # per-pair draws are shared only within one language: the same spelling in two languages is two words
    drawn = {} if rule.draw == "per-pair" else None
    other = {} if rule.draw == "per-pair" and second != first else drawn
    return (substitute_synonyms(example.sentence1, table, rng, rule, first, drawn),
            substitute_synonyms(example.sentence2, table, rng, rule, second, other))


def is_perturbable(example: Example, table: Synonyms, rule: SubstitutionRule = SubstitutionRule()) -> bool:
    """Whether rs-da can change anything in `example`: a word with a neighbour in either sentence."""
    for text, language in zip((example.sentence1, example.sentence2), side_languages(example)):
        found = table.table_for(language)
        if found is None:
            continue
        for piece in substitution_pieces(text, language, rule.lookup):
            if piece.is_word and len(substitution_choices(piece.text, found, rule.lookup)) > 1:
                return True
    return False


def perturbable_by_language(examples: list[Example], table: Synonyms,
                            rule: SubstitutionRule = SubstitutionRule()) -> dict[str, dict[str, int]]:
    """Per language: examples, and how many of them rs-da could perturb (recorded in a run's config)."""
    counts: dict[str, dict[str, int]] = {}
    for example in examples:
        entry = counts.setdefault(example.language, {"examples": 0, "perturbable": 0})
        entry["examples"] += 1
        entry["perturbable"] += is_perturbable(example, table, rule)
    return counts


def perturb_example(example: Example, table: Synonyms, rng: random.Random,
                    rule: SubstitutionRule = SubstitutionRule()) -> Example:
    """A perturbed copy of `example` (both sentences), label and id unchanged."""
    first, second = perturb_pair(example, table, rng, rule)
    return replace(example, sentence1=first.text, sentence2=second.text)


def perturb_examples(examples: list[Example], table: Synonyms, rng: random.Random,
                     rule: SubstitutionRule = SubstitutionRule()) -> list[Example]:
    """A freshly perturbed copy of each example, all drawn from one stream (smoothing votes)."""
    return [perturb_example(e, table, rng, rule) for e in examples]


def augmented_copies(examples: list[Example], table: Synonyms, rule: SubstitutionRule, seed: int, task: str,
                     copies: list[int], epoch: int | None) -> list[Example]:
    """The perturbed copies numbered `copies`; copy c is a perturbation of example c % len(examples)."""
    return [perturb_example(examples[c % len(examples)], table, copy_rng(seed, task, c, epoch), rule) for c in copies]
