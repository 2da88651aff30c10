"""Transformations: candidate replacements for one word of a sentence in a given language.

Every transformation has `candidates(word, language) -> list[str]`, at most
`max_candidates` words, each a single word in that language's splitting (so one
replacement changes exactly one word slot), none equal to the word itself.

- synonym.SynonymSwap: counter-fitted neighbours (English only)
- codeswitch.CodeSwitch: translations into other languages through MUSE dictionaries
- neighbors.EmbeddingNeighbours: nearest whole-word tokens in the encoder's input embeddings
- typo.Typos: character swaps, deletions, insertions, keyboard neighbours, homoglyphs
"""

from xrobust.lexicon.words import split_words


def is_single_word(text: str, language: str) -> bool:
    pieces = split_words(text, language)
    return len(pieces) == 1 and pieces[0].is_word


def keep_valid(word: str, language: str, candidates, limit: int) -> list[str]:
    """The first `limit` distinct candidates that are single words different from `word`."""
    out: list[str] = []
    for candidate in candidates:
        if len(out) >= limit:
            break
        if candidate != word and candidate not in out and is_single_word(candidate, language):
            out.append(candidate)
    return out
