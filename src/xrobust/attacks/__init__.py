"""Adversarial attacks on pair classifiers.

An attack is four swappable parts, passed in through constructors (`attack.Attack`):
a goal (goal.py: misclassify the gold label, scoring candidates in batched forward passes),
a transformation (transformations/: candidate replacements for one word), constraints
(constraints.py) and a search (search.py). recipes.py combines them; runner.py runs a
recipe over a task's languages, resumably; pgd.py is the white-box embedding attack.
"""
