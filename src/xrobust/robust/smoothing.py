"""Smoothed prediction: the majority vote of the classifier over M perturbed copies of each input.

The perturbation is random synonym substitution (as in rs-da; the table is English, so in
other languages only words that happen to be table entries change) or noise on the word
embeddings (as in rs-ri). Copies are batched: one forward pass scores the copies of many
inputs at once. Ties go to the lowest class index. Draws are seeded by (seed, chunk), so an
evaluation repeats exactly.
"""

import random
from dataclasses import dataclass

import numpy as np
import torch

from xrobust.encoders.pairs import collate, encode_pairs
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.robust.augment import perturb_examples
from xrobust.robust.noise import model_inputs, sample_noise
from xrobust.robust.settings import SmoothingSettings
from xrobust.tasks import Example, TaskSpec


@dataclass
class SmoothedPredictions:
    labels: np.ndarray  # [n] the vote's winner
    votes: np.ndarray  # [n, num_labels] how many copies predicted each label

    @property
    def unanimous(self) -> np.ndarray:
        """[n] True where every copy predicted the same label."""
        return self.votes.max(axis=1) == self.votes.sum(axis=1)


def majority_vote(predicted: torch.Tensor, num_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """predicted [n, M] label indices -> (winners [n], vote counts [n, num_labels]); ties to the lowest index."""
    votes = torch.nn.functional.one_hot(predicted, num_labels).sum(dim=1)
    return votes.argmax(dim=1).numpy(), votes.numpy()


@torch.no_grad()
def smoothed_predict(model, tokenizer, task: TaskSpec, examples: list[Example], settings: SmoothingSettings,
                     synonyms: SynonymTable | None, max_length: int, batch_size: int = 64,
                     progress=None, first_chunk: int = 0) -> SmoothedPredictions:
    """Vote over `settings.copies` perturbed copies of every example; `batch_size` counts copies.
    `first_chunk`: the number of the chunk `examples` start at (`examples_per_chunk` examples
    each), when they are a block of a longer list voted on in parts: the draws are the same."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    copies = settings.copies
    per_chunk = examples_per_chunk(batch_size, copies)
    predicted = []
    for chunk_number, start in enumerate(range(0, len(examples), per_chunk), first_chunk):
        chunk = examples[start : start + per_chunk]
        if settings.kind == "synonyms":
            predicted.append(_vote_synonyms(model, tokenizer, task, chunk, settings, synonyms, max_length,
                                            chunk_number, device))
        else:
            predicted.append(_vote_noise(model, tokenizer, task, chunk, settings, max_length, chunk_number, device))
        if progress is not None:
            progress.update(len(chunk))
    model.train(was_training)
    all_predicted = torch.cat(predicted) if predicted else torch.empty((0, copies), dtype=torch.long)
    labels, votes = majority_vote(all_predicted, len(task.label_names))
    return SmoothedPredictions(labels, votes)


def examples_per_chunk(batch_size: int, copies: int) -> int:
    """Examples whose copies fill one forward pass (the unit the draws are seeded by)."""
    return max(1, batch_size // copies)


def _vote_synonyms(model, tokenizer, task, chunk, settings, synonyms, max_length, chunk_number, device):
    rng = random.Random(f"smooth/{settings.seed}/{chunk_number}")
    # Example-major: the copies of example i are rows i*M .. i*M + M-1.
    repeated = [e for e in chunk for _ in range(settings.copies)]
    perturbed = perturb_examples(repeated, synonyms, rng, settings.substitution)
    encoded = encode_pairs(tokenizer, perturbed, task, max_length)
    batch = {k: v.to(device) for k, v in collate(encoded, list(range(len(perturbed))), tokenizer.pad_token_id).items()}
    logits = model(task.name, **{k: v for k, v in batch.items() if k != "labels"})
    return logits.float().argmax(-1).cpu().view(len(chunk), settings.copies)


def _vote_noise(model, tokenizer, task, chunk, settings, max_length, chunk_number, device):
    encoded = encode_pairs(tokenizer, chunk, task, max_length)  # tokenized once, repeated in embedding space
    batch = collate(encoded, list(range(len(chunk))), tokenizer.pad_token_id)
    batch = {k: v.repeat_interleave(settings.copies, dim=0).to(device) for k, v in batch.items()}
    embeds = model.word_embeddings()(batch["input_ids"])  # [n*M, len, hidden]
    generator = torch.Generator().manual_seed(settings.seed * 1_000_003 + chunk_number)
    noise = sample_noise(torch.zeros(embeds.shape), batch["attention_mask"].cpu(), settings.noise, generator)
    logits = model(task.name, inputs_embeds=embeds + noise.to(device, embeds.dtype), **model_inputs(batch))
    return logits.float().argmax(-1).cpu().view(len(chunk), settings.copies)
