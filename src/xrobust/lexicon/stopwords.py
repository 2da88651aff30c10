"""Stopwords per language: words an attack must not replace.

Replacing "not", "the" or "no" changes meaning or grammar rather than wording, so word
substitution attacks leave stopwords alone (TextFooler, PWWS). The lists come from the
`stopwordsiso` package (stopwords-iso, MIT licence): maintained lists for 50+ languages
that cover every language of XNLI and PAWS-X, Thai, Swahili and Urdu included.

The lists are broad (unions of several published lists): besides function words they hold
frequent content words ("good", "new", "year" in English), which attacks therefore also
leave alone. Languages without a list get an empty set: every word may change.
"""

from functools import cache


@cache  # the package's lists are static data; converting one to a frozenset once per language
def stopwords_for(language: str) -> frozenset[str]:
    """The language's stopwords (lower-case), or an empty set for languages without a list."""
    import stopwordsiso  # imported here: it reads package metadata on import (~50 ms)

    if not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(word.lower() for word in stopwordsiso.stopwords(language))


def is_stopword(word: str, language: str) -> bool:
    return word.lower() in stopwords_for(language)
