"""Accuracy with a percentile bootstrap interval."""

import numpy as np

BOOTSTRAP_SAMPLES = 1000


def accuracy_with_ci(correct: np.ndarray, seed: int = 0, samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, list[float]]:
    """Mean of a 0/1 vector and its 95% percentile-bootstrap interval (resampling examples)."""
    correct = np.asarray(correct, dtype=np.float64)
    if correct.size == 0:
        return float("nan"), [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, correct.size, size=(samples, correct.size))
    means = correct[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(correct.mean()), [float(low), float(high)]
