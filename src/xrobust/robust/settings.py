"""The settings of every perturbation, as typed records with no heavy imports, so that the
training config and the command line can name them without loading torch."""

from dataclasses import dataclass, field

NOISE_KINDS = ("uniform-ball", "gaussian")
NORMS = ("l2", "linf")
SMOOTHING_KINDS = ("synonyms",) + NOISE_KINDS
SUBSTITUTIONS = ("independent", "per-pair")  # rs-da: a draw per word occurrence, or per word and pair


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
