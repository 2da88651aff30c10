"""Numbers: tokens whose change alters the facts of a sentence (`第 39 話` -> `第 339 話` is
another episode, so a paraphrase pair stops being one). Attacks leave them alone by default.

A word is a number when
- it holds a digit of any script (`\\p{N}`: 39, ٣٩, ³, Ⅻ), which covers dates and years; or
- it holds a character with a Unicode numeric value, which covers Han numerals (九, 三, 万,
  第九 "ninth") that are letters, not digits, in Unicode; or
- it is a number word of the few languages listed below (cardinals 0-12, tens, hundred,
  thousand, million: the ones a word-level attack meets; larger compounds hold these or digits);
- it is a month name (en, de, fr, es): part of a date (`10 März 1867` -> `10 Marsch 1867`,
  `February 19` -> `December 19`, both seen in attacks before months were listed).

In Chinese, Japanese and Korean a counter or date unit can follow the number as a word of its
own (`1972 年`, `6 月 13 日`, `2 機`, `第七 张`, `제 39 화는`): `1972 年` -> `1972 和` no longer
names a year. `is_quantity_word` counts such a unit with its number: the word right after a
number word that ends in a digit or numeral (`一个 连续`, `1972년에 펜실베니아`: the unit is
already inside the number word, and the next word is free).
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
MONTHS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "en": "january february march april may june july august september october november december",
    "de": "januar jänner februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre",
}.items()}


def is_number(word: str, language: str) -> bool:
    if DIGIT.search(word):
        return True
    if any(_numeric(char) for char in word):
        return True
    lowered = word.lower()
    return lowered in NUMBER_WORDS.get(language, ()) or lowered in MONTHS.get(language, ())


def _numeric(char: str) -> bool:
    return unicodedata.numeric(char, None) is not None


# Languages whose counters and date units are words right after the number (split_words).
UNIT_LANGUAGES = frozenset({"zh", "ja", "ko"})


def is_quantity_word(words: list[str], index: int, language: str) -> bool:
    """Is `words[index]` a number or, in UNIT_LANGUAGES, the unit of the number before it?"""
    if is_number(words[index], language):
        return True
    if language not in UNIT_LANGUAGES or index == 0:
        return False
    before = words[index - 1]
    return bool(before) and (bool(DIGIT.match(before[-1])) or _numeric(before[-1]))
