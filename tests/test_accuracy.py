import numpy as np

from xrobust.evaluation.accuracy import accuracy_with_ci


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_n():
    small = np.array([1] * 30 + [0] * 20)
    large = np.tile(small, 20)
    acc_small, (lo_s, hi_s) = accuracy_with_ci(small)
    acc_large, (lo_l, hi_l) = accuracy_with_ci(large)
    assert acc_small == acc_large == 0.6
    assert lo_s < 0.6 < hi_s and lo_l < 0.6 < hi_l
    assert (hi_l - lo_l) < 0.5 * (hi_s - lo_s)
    # normal approximation for n=1000: half-width ~ 1.96 * sqrt(.24/1000) = 0.030
    assert abs((hi_l - lo_l) / 2 - 0.030) < 0.005


def test_bootstrap_is_deterministic_for_a_seed():
    data = np.array([1, 0, 1, 1, 0, 1, 0, 1])
    assert accuracy_with_ci(data, seed=4) == accuracy_with_ci(data, seed=4)
