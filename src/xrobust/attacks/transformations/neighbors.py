"""`neighbors-greedy`'s transformation: the nearest words of the sentence's language in the
attacked encoder's own input embeddings, for every language with a vocabulary (MUSE's side of
the language and the words of its data files; sw and ur from their data files alone). The
index, and why it is built per language, is in lexicon/encoder_neighbours.py, where the
`encoder-neighbours` synonym source shares it. The recipe's constraints keep stopwords,
negations and numbers from being changed and add a sentence-similarity check by default
(recipes.py); the docs give the measured share of meaning-keeping substitutions per language.
"""

from xrobust.lexicon.encoder_neighbours import EmbeddingNeighbours  # noqa: F401


def neighbour_check(model_name: str):
    """`has_neighbour(word, language) -> bool` for `xrobust lexicon coverage --neighbors`:
    whether the neighbours transformation finds any candidate for the word in the encoder,
    with the vocabularies an attack would use ($XROBUST_RESOURCES and $XROBUST_DATA)."""
    import os
    from pathlib import Path

    from xrobust.encoders.loading import load_encoder, resolve_encoder
    from xrobust.lexicon.vocabulary import LazyVocabularies

    tokenizer, encoder = load_encoder(resolve_encoder(model_name))
    resources, data = os.environ.get("XROBUST_RESOURCES"), os.environ.get("XROBUST_DATA")
    vocabularies = LazyVocabularies(resources and Path(resources), data and Path(data))
    neighbours = EmbeddingNeighbours(tokenizer, encoder.get_input_embeddings().weight, vocabularies, 1)
    return lambda word, language: bool(neighbours.candidates(word, language))
