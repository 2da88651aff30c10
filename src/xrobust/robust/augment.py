"""RS-DA: randomized smoothing by data augmentation with synonym substitution.

Every English word found in the synonym table is replaced, independently and uniformly,
by one of {itself} + its neighbours; a fresh draw for every copy of every example.
Nothing is written to disk: training makes and tokenizes the copies on the fly, a pool of
batches at a time (`xrobust.training.augmented_batches`).
"""

import random
from dataclasses import replace

from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import split_words
from xrobust.tasks import Example


def substitute_synonyms(text: str, table: SynonymTable, rng: random.Random, language: str = "en") -> str:
    """`text` with each table word replaced by a uniform draw from {itself} + its neighbours.

    Splitting is lossless, so spaces and punctuation stay exactly where they were, and the
    replacement takes the original word's capitalisation.
    """
    pieces = split_words(text, language)
    out = []
    for piece in pieces:
        if piece.is_word:
            choices = table.choices(piece.text)
            out.append(choices[rng.randrange(len(choices))] if len(choices) > 1 else piece.text)
        else:
            out.append(piece.text)
    return "".join(out)


def perturb_examples(examples: list[Example], table: SynonymTable, rng: random.Random) -> list[Example]:
    """A freshly perturbed copy of each example (both sentences), label and id unchanged."""
    return [replace(e, sentence1=substitute_synonyms(e.sentence1, table, rng, e.language),
                    sentence2=substitute_synonyms(e.sentence2, table, rng, e.language))
            for e in examples]
