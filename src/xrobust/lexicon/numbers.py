"""Numbers: tokens whose change alters the facts of a sentence (`第 39 話` -> `第 339 話` is
another episode, so a paraphrase pair stops being one). Attacks leave them alone by default.

A word is a number when
- it holds a digit of any script (`\\p{N}`: 39, ٣٩, ³, Ⅻ), which covers dates and years; or
- it holds a character with a Unicode numeric value, which covers Han numerals (九, 三, 万,
  第九 "ninth") that are letters, not digits, in Unicode; or
- it is a number word of the few languages listed below (cardinals 0-12, tens, hundred,
  thousand, million: the ones a word-level attack meets; larger compounds hold these or digits).
"""

import unicodedata

import regex as re

DIGIT = re.compile(r"\p{N}")

NUMBER_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "en": "zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
          "sixty seventy eighty ninety hundred thousand million billion first second third fourth fifth "
          "sixth seventh eighth ninth tenth",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig vierzig "
          "fünfzig sechzig siebzig achtzig neunzig hundert tausend million millionen milliarde",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze vingt trente quarante "
          "cinquante soixante cent cents mille million millions milliard premier deuxième troisième",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta cuarenta "
          "cincuenta sesenta setenta ochenta noventa cien ciento mil millón millones primero segundo tercero",
    "ru": "ноль один два три четыре пять шесть семь восемь девять десять сто тысяча миллион",
    "ko": "하나 둘 셋 넷 다섯 여섯 일곱 여덟 아홉 열 백 천 만 억",
}.items()}


def is_number(word: str, language: str) -> bool:
    if DIGIT.search(word):
        return True
    if any(_numeric(char) for char in word):
        return True
    return word.lower() in NUMBER_WORDS.get(language, ())


def _numeric(char: str) -> bool:
    return unicodedata.numeric(char, None) is not None
