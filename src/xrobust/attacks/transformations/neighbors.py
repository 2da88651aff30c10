"""Nearest neighbours in the encoder's own input-embedding space, among words of the
sentence's language: covers every language with a vocabulary (lexicon/vocabulary.py: MUSE's
side of the language and the words of its data files; sw and ur from their data files alone).

Why a vocabulary per language, not the token table: the token table is shared by 100
languages and full of word pieces, so the nearest whole tokens to a German word were Czech,
English or Spanish words, or pieces (issue 16: elektronischen -> elektronický, Barber ->
cabello, neunten -> teu). Here every candidate is a word of the vocabulary of the word's own
language, written in the word's script; in Chinese and Japanese it also has as many characters
as the word (a word of another length is rarely the same kind of word there). A word, in the
query or the vocabulary, is the mean of its pieces' input vectors. Stopwords, negations and
numbers are not in the vocabularies (never inserted); the recipe's constraints keep them from
being changed. What is left is similarity in the encoder's space, not meaning: the recipe
adds a sentence-similarity constraint by default (recipes.py), and the docs give the
measured share of meaning-keeping substitutions per language.
"""

from collections.abc import Mapping, Sequence

import torch

from xrobust.attacks.transformations import keep_valid
from xrobust.lexicon.words import restore_case, script_of

MAX_PIECES = 4  # vocabulary words split into more pieces are mostly rare compounds and names


class EmbeddingNeighbours:
    name = "neighbors"

    def __init__(self, tokenizer, embeddings: torch.Tensor, vocabularies: Mapping[str, Sequence[str]],
                 max_candidates: int = 20, character_languages=("zh", "ja")):
        """`embeddings`: the input-embedding matrix [vocabulary, hidden]; `vocabularies`:
        language -> its words (most frequent first). Each language's index is built on its
        first look-up (a second or two for 60,000 words), so languages never asked cost nothing."""
        self.tokenizer = tokenizer
        self.embeddings = embeddings.detach().float()
        self.vocabularies = vocabularies
        self.max_candidates = max_candidates
        self.character_languages = frozenset(character_languages)
        self._index: dict[str, tuple[list[str], torch.Tensor]] = {}
        self._found: dict[tuple[str, str], list[str]] = {}  # per instance: words repeat across examples

    @classmethod
    def from_model(cls, model, tokenizer, vocabularies: Mapping[str, Sequence[str]],
                   max_candidates: int = 20) -> "EmbeddingNeighbours":
        return cls(tokenizer, model.word_embeddings().weight, vocabularies, max_candidates)

    def index(self, language: str) -> tuple[list[str], torch.Tensor]:
        """The language's words that have at most MAX_PIECES pieces, and their unit vectors [n, hidden]."""
        if language not in self._index:
            words = list(self.vocabularies.get(language, ()))
            ids = self.tokenizer(words, add_special_tokens=False)["input_ids"] if words else []
            kept = [(w, i) for w, i in zip(words, ids) if 0 < len(i) <= MAX_PIECES]
            self._index[language] = ([w for w, _ in kept], self._mean_vectors([i for _, i in kept]))
        return self._index[language]

    def _mean_vectors(self, ids: list[list[int]]) -> torch.Tensor:
        if not ids:
            return torch.empty(0, self.embeddings.shape[1])
        flat = torch.tensor([t for piece_ids in ids for t in piece_ids])
        offsets = torch.tensor([0] + [len(i) for i in ids[:-1]]).cumsum(0)
        vectors = torch.nn.functional.embedding_bag(flat, self.embeddings, offsets, mode="mean")
        return torch.nn.functional.normalize(vectors, dim=-1)

    def candidates(self, word: str, language: str) -> list[str]:
        key = (word, language)
        if key not in self._found:
            self._found[key] = self._nearest(word, language)
        return list(self._found[key])

    def _nearest(self, word: str, language: str) -> list[str]:
        texts, vectors = self.index(language)
        ids = self.tokenizer(word, add_special_tokens=False)["input_ids"]
        if not texts or not ids:
            return []
        query = self._mean_vectors([ids])[0]
        similarity = vectors @ query  # [n]
        # Ask for extra neighbours: some are the word itself, case variants, or another script.
        top = torch.topk(similarity, min(len(texts), 8 * self.max_candidates + 16)).indices.tolist()
        script = script_of(word)
        same_length = language in self.character_languages
        found = (restore_case(word, texts[i]) for i in top
                 if texts[i].lower() != word.lower() and script_of(texts[i]) == script
                 and (not same_length or len(texts[i]) == len(word)))
        return keep_valid(word, language, found, self.max_candidates)


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
