"""xrobust: zero-shot cross-lingual transfer and adversarial robustness for multilingual encoders."""

__version__ = "0.1.0"
