"""Nearest neighbours in an encoder's own input-embedding space, among words of the sentence's
language; as `neighbors-greedy`'s transformation and as the `encoder-neighbours` synonym source.

Why a vocabulary per language, not the token table: the token table is shared by 100
languages and full of word pieces, so the nearest whole tokens to a German word were Czech,
English or Spanish words, or pieces (issue 16: elektronischen -> elektronický, Barber ->
cabello, neunten -> teu). Here every candidate is a word of the vocabulary of the word's own
language (lexicon/vocabulary.py), written in the word's script; in Chinese and Japanese it also
has as many characters as the word (a word of another length is rarely the same kind of word
there). A word, in the query or the vocabulary, is the mean of its pieces' input vectors.
Stopwords, negations and numbers are not in the vocabularies (never inserted).

What is left is similarity in the encoder's space, not meaning. `neighbors-greedy` adds a
sentence-similarity constraint (attacks/recipes.py); the synonym source (`NeighbourTable`, for
rs-da, smoothing, `augment` and the synonym recipes) has none, so it also never changes a
stopword, negation or number, and offers at most NEIGHBOURS_PER_WORD neighbours, nearest first.
The measured share of meaning-keeping substitutions: docs/results/perturbation-validity.md.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from xrobust.lexicon.synonym_sources import ENCODER_NEIGHBOURS as SOURCE
from xrobust.lexicon.words import is_single_word, keep_valid, restore_case, script_of

MAX_PIECES = 4  # vocabulary words split into more pieces are mostly rare compounds and names
# As a synonym source: at most this many neighbours per word (the counter-fitted table's
# largest entry holds 8); each is as likely as the word itself in an rs-da or smoothing draw.
NEIGHBOURS_PER_WORD = 8


class EmbeddingNeighbours:
    name = "neighbors"

    def __init__(self, tokenizer, embeddings: torch.Tensor, vocabularies: Mapping[str, Sequence[str]],
                 max_candidates: int = 20, character_languages=("zh", "ja")):
        """`embeddings`: the input-embedding matrix [vocabulary, hidden]; `vocabularies`:
        language -> its words (most frequent first). Each language's index is built on its
        first look-up (a second or two for 60,000 words), so languages never asked cost nothing."""
        self.tokenizer = tokenizer
        # on the CPU whatever the model's device: look-ups build their index tensors there
        self.embeddings = embeddings.detach().float().cpu()
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
        top = torch.topk(similarity, self._wanted(len(texts))).indices.tolist()
        return self._keep(word, language, texts, top)

    def _wanted(self, n: int) -> int:
        # Ask for extra neighbours: some are the word itself, case variants, or another script.
        return min(n, 8 * self.max_candidates + 16)

    def _keep(self, word: str, language: str, texts: list[str], top: list[int]) -> list[str]:
        script = script_of(word)
        same_length = language in self.character_languages
        found = (restore_case(word, texts[i]) for i in top
                 if texts[i].lower() != word.lower() and script_of(texts[i]) == script
                 and (not same_length or len(texts[i]) == len(word)))
        return keep_valid(word, language, found, self.max_candidates)

    def vocabulary_candidates(self, language: str, chunk: int = 1024) -> dict[str, list[str]]:
        """`candidates` of every indexed word of the language, by blocks of matrix products
        (a vocabulary word's query vector is its index vector): seconds, not a loop of minutes."""
        texts, vectors = self.index(language)
        for start in range(0, len(texts), chunk):
            block = vectors[start:start + chunk] @ vectors.T  # [chunk, n]
            top = torch.topk(block, self._wanted(len(texts)), dim=-1).indices.tolist()
            for word, nearest in zip(texts[start:start + chunk], top):
                self._found.setdefault((word, language), self._keep(word, language, texts, nearest))
        return {word: list(self._found[word, language]) for word in texts}


@dataclass(frozen=True)
class NeighbourEncoder:
    """The encoder whose input embeddings the source searches, and the name the run records."""

    name: str
    tokenizer: object
    embeddings: torch.Tensor  # [vocabulary, hidden]


class NeighbourTable:
    """The `encoder-neighbours` source for one language, with a SynonymTable's look-ups. Its
    entries are computed on first look-up (every word of the language may have neighbours);
    `to_json` computes them for the whole vocabulary."""

    source = SOURCE

    def __init__(self, neighbours: EmbeddingNeighbours, language: str, encoder: str,
                 vocabulary_counts: Mapping[str, int] | None = None, data_dir: Path | None = None):
        self.neighbours_index, self.language, self.encoder = neighbours, language, encoder
        self.vocabulary_counts = dict(vocabulary_counts or {})
        self.data_dir = data_dir

    def table_for(self, language: str) -> "NeighbourTable | None":
        return self if language == self.language else None

    def neighbours(self, word: str) -> list[str]:
        """At most NEIGHBOURS_PER_WORD neighbours, nearest first, in the word's capitalisation;
        none for a stopword, negation, number, or a token that is not one word ("war,")."""
        from xrobust.lexicon.vocabulary import offered

        if not is_single_word(word, self.language) or not offered(word, self.language):
            return []
        return self.neighbours_index.candidates(word, self.language)[:NEIGHBOURS_PER_WORD]

    exact = neighbours  # candidates already carry the word's capitalisation

    def choices(self, word: str) -> list[str]:
        return [word] + self.neighbours(word)

    def __contains__(self, word: str) -> bool:
        return bool(self.neighbours(word))

    def __len__(self) -> int:
        """Words the source can offer (the language's indexed vocabulary)."""
        return len(self.neighbours_index.index(self.language)[0])

    def record(self) -> dict:
        return {"source": SOURCE, "entries": len(self), "encoder": self.encoder,
                "neighbours_per_word": NEIGHBOURS_PER_WORD, "vocabulary": self.vocabulary_counts,
                "data_dir": str(self.data_dir) if self.data_dir else None}

    def to_json(self) -> dict:
        self.neighbours_index.vocabulary_candidates(self.language)  # fills the look-up cache at once
        words = self.neighbours_index.index(self.language)[0]
        table = {w: found for w in words if (found := self.neighbours(w))}
        return {"language": self.language, "source": SOURCE, "encoder": self.encoder, "synonyms": table}


def neighbour_tables(languages: Sequence[str], encoder: NeighbourEncoder | Callable[[], NeighbourEncoder],
                     resources: Path | None, data_dir: Path | None) -> dict[str, NeighbourTable]:
    """A table per language, sharing one embedding index; a language without a vocabulary
    (no MUSE dictionary and no data files) is refused rather than left unchanged silently."""
    from xrobust.errors import UserError
    from xrobust.lexicon.vocabulary import language_vocabulary

    vocabularies = {lang: language_vocabulary(lang, resources, data_dir) for lang in languages}
    empty = [lang for lang, v in vocabularies.items() if not v.words]
    if empty:
        raise UserError(f"--synonym-source {SOURCE}: no vocabulary for {','.join(empty)} (no MUSE dictionary "
                        f"under {resources} and no data files under {data_dir}); set XROBUST_DATA or "
                        "XROBUST_RESOURCES")
    if callable(encoder):
        encoder = encoder()
    index = EmbeddingNeighbours(encoder.tokenizer, encoder.embeddings,
                                {lang: v.words for lang, v in vocabularies.items()}, NEIGHBOURS_PER_WORD)
    return {lang: NeighbourTable(index, lang, encoder.name, v.counts, data_dir) for lang, v in vocabularies.items()}
