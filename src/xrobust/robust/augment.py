"""RS-DA: randomized smoothing by data augmentation with synonym substitution.

Every English word found in the synonym table is replaced, independently and uniformly,
by one of {itself} + its neighbours; a fresh draw for every copy of every example (with
`per-pair` substitution, one draw per word and pair, so both sentences change alike).
Nothing is written to disk: training makes and tokenizes the copies on the fly, a pool of
batches at a time (`xrobust.training.augmented_batches`).
"""

import random
from dataclasses import replace

from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import split_words
from xrobust.tasks import Example


def substitute_synonyms(text: str, table: SynonymTable, rng: random.Random, language: str = "en",
                        drawn: dict[str, int] | None = None) -> str:
    """`text` with each table word replaced by a uniform draw from {itself} + its neighbours.

    Splitting is lossless, so spaces and punctuation stay exactly where they were, and the
    replacement takes the original word's capitalisation. With `drawn` (lower-cased word ->
    index of its draw), a word drawn before keeps its draw: pass one dict for both sentences
    of a pair to substitute a word the same way wherever it occurs in the pair.
    """
    pieces = split_words(text, language)
    out = []
    for piece in pieces:
        if piece.is_word:
            choices = table.choices(piece.text)
            if len(choices) < 2:
                out.append(piece.text)
                continue
            key = piece.text.lower()
            if drawn is not None and key in drawn:
                index = drawn[key]
            else:
                index = rng.randrange(len(choices))
                if drawn is not None:
                    drawn[key] = index
            out.append(choices[index])
        else:
            out.append(piece.text)
    return "".join(out)


def perturb_examples(examples: list[Example], table: SynonymTable, rng: random.Random,
                     substitution: str = "independent") -> list[Example]:
    """A freshly perturbed copy of each example (both sentences), label and id unchanged.
    `independent`: every occurrence of a word is drawn on its own (the paper's rule);
    `per-pair`: one draw per word and pair, so a word shared by both sentences stays shared
    (for paraphrase tasks such as PAWS-X, where unmatched words signal "not a paraphrase")."""
    out = []
    for e in examples:
        drawn = {} if substitution == "per-pair" else None
        out.append(replace(e, sentence1=substitute_synonyms(e.sentence1, table, rng, e.language, drawn),
                           sentence2=substitute_synonyms(e.sentence2, table, rng, e.language, drawn)))
    return out
