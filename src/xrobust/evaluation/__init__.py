"""Zero-shot evaluation: predictions, accuracy per language, bootstrap intervals."""
