"""How an attack reaches the model: requests, the per-example caches, and the runner.

A search never calls the model. It *yields* a request (`Logits` for classifier outputs,
`Vectors` for sentence embeddings) and receives the answer, so whoever drives it decides
which forward pass the rows go into: `drive` answers one search alone, `scheduler.py`
gathers the requests of many examples into shared forward passes. Both use one
`ModelRunner`, which takes token ids, sorts them by length and runs chunks of `batch_size`.

Requests carry token ids, not text: each example tokenizes a sentence once (`ExampleCache`),
so the unchanged side of a candidate pair is never tokenized again, and logits are cached by
token ids, so a repeated query (or two texts that tokenize alike) costs no forward pass and
gets bit-identical logits, which is what lets equal candidates tie exactly.
"""

from dataclasses import dataclass

import torch

from xrobust.encoders.pairs import EncodedPairs, collate, inference_batches
from xrobust.encoders.predict import predict_logits
from xrobust.errors import UserError

Row = tuple[tuple[int, ...], tuple[int, ...] | None]  # (input_ids, token_type_ids or None), unpadded


@dataclass(frozen=True)
class Logits:
    """Classifier logits for these encoded pairs; answered with a tensor [len(rows), num_labels]."""

    rows: list[Row]


@dataclass(frozen=True)
class Vectors:
    """Unit-length mean-pooled encoder vectors for these encoded sentences; answered [len(rows), hidden]."""

    rows: list[Row]


class ExampleCache:
    """What one example has already paid for: token ids per sentence, logits per encoded pair,
    vectors per encoded sentence. Per example, so an example's results never depend on which
    other examples share its forward passes."""

    def __init__(self, tokenizer, max_length: int):
        if not hasattr(tokenizer, "backend_tokenizer"):
            raise UserError(f"{type(tokenizer).__name__}: attacks need a fast (Rust) tokenizer")
        # The Rust tokenizer encodes each side of a pair on its own and then truncates and adds
        # special tokens (`post_process`): doing those two steps here is what the pair call does.
        self.backend = tokenizer.backend_tokenizer
        self.truncation = {"max_length": max_length, "stride": 0, "strategy": "longest_first",
                           "direction": tokenizer.truncation_side}
        self.with_types = "token_type_ids" in tokenizer.model_input_names
        self.words: dict[str, object] = {}  # sentence -> its `tokenizers.Encoding`, no special tokens
        self.logits: dict[Row, torch.Tensor] = {}
        self.vectors: dict[Row, torch.Tensor] = {}

    def encode_pairs(self, pairs: list[tuple[str, str]]) -> list[Row]:
        """Token ids as `tokenizer(s1, s2, truncation="longest_first", max_length=...)` gives them."""
        self._tokenize([s for pair in pairs for s in pair])
        return self._rows([(self.words[s1], self.words[s2]) for s1, s2 in pairs])

    def encode_sentences(self, sentences: list[str]) -> list[Row]:
        self._tokenize(sentences)
        return self._rows([(self.words[s], None) for s in sentences])

    def _tokenize(self, sentences) -> None:
        new = [s for s in dict.fromkeys(sentences) if s not in self.words]
        if new:  # the whole sentence, untruncated
            self.backend.no_truncation()  # the settings are shared with the transformers wrapper,
            self.backend.no_padding()  # which sets them again on each of its own calls
            # One `encode` per sentence: `encode_batch` starts a thread pool, which costs more
            # than it saves on a search step's handful of sentences.
            self.words.update((s, self.backend.encode(s, add_special_tokens=False)) for s in new)

    def _rows(self, encodings) -> list[Row]:
        self.backend.enable_truncation(**self.truncation)
        rows = []
        for first, second in encodings:
            encoded = self.backend.post_process(first, second, add_special_tokens=True)  # copies its inputs
            rows.append((tuple(encoded.ids), tuple(encoded.type_ids) if self.with_types else None))
        return rows


def lookup(cache: dict[Row, torch.Tensor], rows: list[Row], kind):
    """Generator: the cached answer per row, asking (`kind(missing rows)`) only for rows not cached."""
    missing = [row for row in dict.fromkeys(rows) if row not in cache]
    if missing:
        answer = yield kind(missing)
        cache.update(zip(missing, answer))
    return [cache[row] for row in rows]


class ModelRunner:
    """Answers requests with length-sorted forward passes of `batch_size` rows."""

    def __init__(self, model, tokenizer, head: str, max_length: int = 128, batch_size: int = 32,
                 autocast_dtype=None):
        self.model = model
        self.autocast_dtype = autocast_dtype  # None: fp32; bf16/fp16: forward passes under autocast
        self.tokenizer = tokenizer
        self.head = head
        self.max_length = max_length
        self.batch_size = batch_size
        self.forward_passes = 0  # for benchmarks: how many passes, how many rows
        self.rows_scored = 0

    def answer(self, requests: list) -> list[torch.Tensor]:
        """Answers in order; the rows of all requests of one kind share forward passes."""
        answers = [None] * len(requests)
        for kind, run in ((Logits, self.logits), (Vectors, self.vectors)):
            chosen = [i for i, r in enumerate(requests) if isinstance(r, kind)]
            if not chosen:
                continue
            out = run([row for i in chosen for row in requests[i].rows])
            start = 0
            for i in chosen:
                answers[i] = out[start:start + len(requests[i].rows)]
                start += len(requests[i].rows)
        return answers

    def logits(self, rows: list[Row]) -> torch.Tensor:
        pairs = _encoded(rows)
        self._count(len(rows))
        return predict_logits(self.model, self.head, pairs, self.tokenizer.pad_token_id, self.batch_size,
                              autocast_dtype=self.autocast_dtype)

    @torch.no_grad()
    def vectors(self, rows: list[Row]) -> torch.Tensor:
        """Mean-pooled last layer (as E5 embeds text), unit length, in fp32."""
        pairs = _encoded(rows)
        self._count(len(rows))
        encoder = self.model.encoder
        device = next(encoder.parameters()).device
        out = None
        for indices in inference_batches(pairs.lengths(), self.batch_size):
            batch = {k: v.to(device) for k, v in collate(pairs, indices, self.tokenizer.pad_token_id).items()
                     if k != "labels"}
            with torch.autocast(device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None):
                hidden = encoder(**batch).last_hidden_state.float()  # [batch, len, hidden]
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            vectors = torch.nn.functional.normalize(pooled.float(), dim=-1).cpu()
            if out is None:
                out = torch.empty((len(pairs), vectors.shape[1]))
            out[torch.tensor(indices)] = vectors
        return out

    def _count(self, rows: int) -> None:
        self.rows_scored += rows
        self.forward_passes += -(-rows // self.batch_size)


def _encoded(rows: list[Row]) -> EncodedPairs:
    has_types = rows[0][1] is not None
    return EncodedPairs([list(ids) for ids, _ in rows], [list(t) for _, t in rows] if has_types else None,
                        [0] * len(rows))


def drive(search, runner: ModelRunner):
    """Run a request-yielding generator to its end, answering each request alone; its return value."""
    try:
        request = next(search)
        while True:
            request = search.send(runner.answer([request])[0])
    except StopIteration as finished:
        return finished.value

