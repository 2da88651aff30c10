"""Robust training objectives and smoothed prediction.

objectives.py is the table of training objectives (`--method`), one record each; its step
functions call the plain functions that the training loop runs for one batch:
  standard  losses.py       cross-entropy on the clean input
  rs-da     augment.py      random synonym substitution, tokenized per batch
  rs-ri     noise.py        random noise on the input word embeddings
  adv       adversarial.py  PGD on the word embeddings (clean + adversarial loss); FreeLB
and smoothing.py predicts by majority vote over perturbed copies of each input.
settings.py holds their typed settings (no torch import, so configs and the CLI stay light).
"""
