"""Transformations: candidate replacements for one word of a sentence in a given language.

Every transformation has `candidates(word, language) -> list[str]`, at most
`max_candidates` words, each a single word in that language's splitting (so one
replacement changes exactly one word slot), none equal to the word itself.

- synonym.SynonymSwap: a synonym source's table for the word's language
- codeswitch.CodeSwitch: translations into other languages through MUSE dictionaries
- neighbors.EmbeddingNeighbours (lexicon/encoder_neighbours.py): nearest words of the sentence's
  language in the encoder's input embeddings
- typo.Typos: character swaps, deletions, insertions, keyboard neighbours, homoglyphs
"""

# Defined in lexicon/words.py: the encoder-neighbours synonym source (a floor below) uses it too.
from xrobust.lexicon.words import keep_valid  # noqa: F401
