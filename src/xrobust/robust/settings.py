"""The settings of every perturbation, as typed records with no heavy imports, so that the
training config and the command line can name them without loading torch."""

from dataclasses import dataclass, field

NOISE_KINDS = ("uniform-ball", "gaussian")
NORMS = ("l2", "linf")
SMOOTHING_KINDS = ("synonyms",) + NOISE_KINDS
# rs-da / synonym smoothing: which words are looked up, and how draws are made
# (docs/robust-training.md, "rs-da: the substitution rule").
SYNONYM_LOOKUPS = ("published", "case-insensitive")  # Robust-XLT's perturb.py, or words in any case
SUBSTITUTIONS = ("independent", "per-pair")  # a draw per word occurrence, or per word and pair
AUGMENT_MODES = ("dynamic", "static")  # copies redrawn every epoch, or drawn once and reused


@dataclass(frozen=True)
class SubstitutionRule:
    """How a synonym-substituted copy of a pair is made.

    `published` (the default) substitutes what Robust-XLT's `perturb.py` substitutes:
    space-delimited tokens looked up exactly as written, so capitalised tokens (names,
    sentence starts) and tokens with punctuation attached ("Jr.", "war,") never change.
    `case-insensitive` (xrobust 0.1's rule) finds words between punctuation, looks them up
    lower-cased and gives the replacement the original's capitalisation.
    """

    lookup: str = "published"  # one of SYNONYM_LOOKUPS
    draw: str = "independent"  # one of SUBSTITUTIONS


@dataclass(frozen=True)
class EmbeddingNoise:
    """Random noise on each token's word embedding (rs-ri, smoothing)."""

    kind: str = "uniform-ball"  # one of NOISE_KINDS
    radius: float = 0.5  # uniform-ball: L2 radius per token (word vectors of multilingual-e5-small have norm ~1.6)
    sigma: float = 0.02  # gaussian: per-coordinate standard deviation (~0.4 L2 per token in 384 dimensions)


@dataclass(frozen=True)
class AdversarialSettings:
    """PGD / FreeLB in word-embedding space, bounded per token."""

    # Small on purpose: in the robust-training study, eps 0.5 (XNLI) and 0.1 (PAWS-X) made
    # training collapse to chance; 0.02 trained (word vectors of e5-small have norm ~1.6).
    eps: float = 0.02  # bound per token: L2 radius, or per-coordinate bound under linf
    step_size: float = 0.01  # length of one ascent step (L2) or its per-coordinate size (linf)
    steps: int = 3  # K ascent steps
    norm: str = "l2"  # one of NORMS
    weight: float = 1.0  # pgd: loss = clean + weight * adversarial


@dataclass(frozen=True)
class SmoothingSettings:
    """Majority vote over perturbed copies of each input."""

    copies: int  # M perturbed copies per input
    kind: str = "synonyms"  # one of SMOOTHING_KINDS
    noise: EmbeddingNoise = field(default_factory=EmbeddingNoise)  # radius / sigma for the noise kinds
    seed: int = 0
    substitution: SubstitutionRule = field(default_factory=SubstitutionRule)  # the synonyms kind
    # the synonyms kind: sources per language (lexicon/synonym_sources.py); uncovered languages are refused
    synonym_sources: tuple[str, ...] = ("counter-fitted",)
