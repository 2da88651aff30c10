"""The sentence-similarity threshold of neighbors-greedy (recipes.NEIGHBOURS_MIN_SIMILARITY),
measured: for PAWS-X dev sentences, the encoder's mean-pooled cosine between a sentence and
(a) the sentence with one word replaced by a muse-pivot synonym (meaning kept, approximately),
(b) the sentence with the same word replaced by a random word of the language's vocabulary
(meaning changed). Prints quantiles of both and, per threshold, the share of (a) kept and (b)
refused. Run by hand:  python benchmarks/similarity_threshold.py de fr zh [N]
"""

import random
import sys
from pathlib import Path

import os
import torch

from xrobust.attacks.constraints import MinSimilarity
from xrobust.attacks.text import AttackText, Position
from xrobust.encoders.classifier import PairClassifier
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.lexicon.synonym_sources import load_synonyms
from xrobust.lexicon.vocabulary import language_vocabulary, offered


def pairs(language, n, resources, data):
    table = load_synonyms(("muse-pivot",), [language], resources=resources).table_for(language)
    words = language_vocabulary(language, resources, data).words[:20000]
    rng = random.Random(0)
    lines = (data / "pawsx" / f"dev-{language}.tsv").read_text(encoding="utf-8").splitlines()
    texts, same, other = [], [], []
    for line in lines:
        sentence = line.split("\t")[0]
        text = AttackText.from_pair(sentence, "x", language, language)
        slots = [p for p in text.positions() if p.side == "sentence1" and table.neighbours(text.word_at(p))
                 and offered(text.word_at(p), language)]
        if not slots:
            continue
        slot = rng.choice(slots)
        texts.append(text)
        same.append(text.replace(slot, table.neighbours(text.word_at(slot))[0]))
        other.append(text.replace(slot, rng.choice(words)))
        if len(texts) == n:
            break
    return texts, same, other


def main():
    languages = sys.argv[1].split(",")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    resources, data = Path(os.environ["XROBUST_RESOURCES"]), Path(os.environ["XROBUST_DATA"])
    tokenizer, encoder = load_encoder(resolve_encoder("default"))
    model = PairClassifier(encoder, {"pawsx": 2}).eval()  # the untrained head is never used here
    check = MinSimilarity(model, tokenizer, 0.0, batch_size=32)
    torch.set_grad_enabled(False)
    for language in languages:
        texts, same, other = pairs(language, n, resources, data)
        s = [check.similarities(t, [a])[0] for t, a in zip(texts, same)]
        o = [check.similarities(t, [b])[0] for t, b in zip(texts, other)]
        q = lambda xs, f: sorted(xs)[int(f * (len(xs) - 1))]
        print(f"{language} n={len(texts)} synonym: p10 {q(s, .1):.3f} median {q(s, .5):.3f} | "
              f"random: median {q(o, .5):.3f} p90 {q(o, .9):.3f}")
        for threshold in (0.90, 0.93, 0.95, 0.97):
            kept = sum(x >= threshold for x in s) / len(s)
            refused = sum(x < threshold for x in o) / len(o)
            print(f"  {threshold:.2f}: synonyms kept {kept:.0%}, random words refused {refused:.0%}")
        for t, a, b in list(zip(texts, same, other))[:3]:
            print("   ", a.changes[0].original, "->", a.changes[0].replacement, "|", b.changes[0].replacement)


if __name__ == "__main__":
    main()
