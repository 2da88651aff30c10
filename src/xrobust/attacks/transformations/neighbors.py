"""Nearest neighbours in the encoder's own input-embedding space: covers every language the
tokenizer knows, including those without a synonym table or bilingual dictionary (sw, ur).

Candidates are whole-word tokens (sentencepiece pieces starting with "▁" followed by
letters only) written in the same script as the word. In Chinese and Japanese a candidate
also has as many characters as the word (a token of another length is rarely the same kind
of word there). A word spread over several pieces is represented by the mean of its pieces' vectors.
"""

import unicodedata

import regex as re
import torch

from xrobust.attacks.transformations import keep_valid

WORD_START = "▁"
LETTERS = re.compile(r"[\p{L}\p{M}]+")


def script_of(text: str) -> str | None:
    """The script of the first letter ('LATIN', 'CYRILLIC', 'CJK', 'HIRAGANA', ...)."""
    for char in text:
        if char.isalpha():
            try:
                return unicodedata.name(char).split()[0]
            except ValueError:
                return None
    return None


class EmbeddingNeighbours:
    name = "neighbors"

    def __init__(self, tokenizer, embeddings: torch.Tensor, vocabulary: dict[str, tuple[list[str], torch.Tensor]],
                 max_candidates: int = 20, character_languages=("zh", "ja")):
        """`vocabulary`: script -> (whole-word texts, their unit-length vectors [n, hidden])."""
        self.tokenizer = tokenizer
        self.embeddings = embeddings
        self.vocabulary = vocabulary
        self.max_candidates = max_candidates
        self.character_languages = frozenset(character_languages)
        self._found: dict[tuple[str, str], list[str]] = {}  # per instance: words repeat across examples

    @classmethod
    def from_model(cls, model, tokenizer, max_candidates: int = 20) -> "EmbeddingNeighbours":
        """Index the whole-word tokens of the model's vocabulary by script (a few seconds)."""
        return cls.from_embeddings(tokenizer, model.word_embeddings().weight, max_candidates)

    @classmethod
    def from_embeddings(cls, tokenizer, weight: torch.Tensor, max_candidates: int = 20) -> "EmbeddingNeighbours":
        """The same from an input-embedding matrix [vocabulary, hidden]."""
        embeddings = weight.detach().float()
        by_script: dict[str, tuple[list[str], list[int]]] = {}
        for piece, token_id in tokenizer.get_vocab().items():
            if not piece.startswith(WORD_START) or token_id >= embeddings.shape[0]:
                continue
            text = piece[len(WORD_START):]
            if not LETTERS.fullmatch(text):
                continue
            script = script_of(text)
            if script:
                texts, ids = by_script.setdefault(script, ([], []))
                texts.append(text)
                ids.append(token_id)
        vocabulary = {}
        for script, (texts, ids) in by_script.items():
            order = sorted(range(len(ids)), key=lambda i: ids[i])  # deterministic order
            vectors = torch.nn.functional.normalize(embeddings[[ids[i] for i in order]], dim=-1)
            vocabulary[script] = ([texts[i] for i in order], vectors)
        return cls(tokenizer, embeddings, vocabulary, max_candidates)

    def candidates(self, word: str, language: str) -> list[str]:
        key = (word, language)
        if key not in self._found:
            self._found[key] = self._nearest(word, language)
        return list(self._found[key])

    def _nearest(self, word: str, language: str) -> list[str]:
        script = script_of(word)
        if script not in self.vocabulary:
            return []
        ids = self.tokenizer(word, add_special_tokens=False)["input_ids"]
        if not ids:
            return []
        query = torch.nn.functional.normalize(self.embeddings[ids].mean(0), dim=-1)
        texts, vectors = self.vocabulary[script]
        similarity = vectors @ query  # [n]
        # Ask for extra neighbours: some are the word itself or case variants of it.
        top = torch.topk(similarity, min(len(texts), 4 * self.max_candidates + 8)).indices.tolist()
        same_length = language in self.character_languages
        found = (texts[i] for i in top
                 if texts[i].lower() != word.lower() and (not same_length or len(texts[i]) == len(word)))
        return keep_valid(word, language, found, self.max_candidates)


def neighbour_check(model_name: str):
    """`has_neighbour(word, language) -> bool` for `xrobust lexicon coverage --neighbors`:
    whether the neighbours transformation finds any candidate for the word in the encoder."""
    from xrobust.encoders.loading import load_encoder, resolve_encoder

    tokenizer, encoder = load_encoder(resolve_encoder(model_name))
    neighbours = EmbeddingNeighbours.from_embeddings(tokenizer, encoder.get_input_embeddings().weight, 1)
    return lambda word, language: bool(neighbours.candidates(word, language))
