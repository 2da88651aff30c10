"""Typo models of Chinese, Japanese and Korean input methods (used by typo.py).

- Chinese: pinyin input shows every character of a reading; the wrong pick is a character with
  the same toneless pinyin (`pypinyin`, every reading of a heteronym), or one a near reading
  away (the initials and finals speakers confuse: z/zh, c/ch, s/sh, n/l, an/ang, en/eng, in/ing).
- Japanese: kana are typed as romaji and converted: a missed or extra dakuten/handakuten
  (か/が, は/ば/ぱ), a small kana for a large one or back (つ/っ, や/ゃ), a katakana long vowel
  mark dropped or added (コンピューター/コンピュータ); kanji come from a conversion that picks
  another kanji of the same reading (`pykakasi`'s reading of each known kanji).
- Korean: the two-set (Dubeolsik) keyboard types jamo; a neighbouring key replaces one jamo of
  a syllable (initial, vowel or final, each only by a key of the same kind) and the syllable
  recomposes (`jamo`). Compound vowels and finals (ㅘ, ㄳ) are two key presses: left as they are.
"""

import unicodedata

import regex as re

HAN = re.compile(r"\p{Han}")
KANA = re.compile(r"[\p{Hiragana}\p{Katakana}]")
HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
LONG_VOWEL = "ー"
DAKUTEN, HANDAKUTEN = "\u3099", "\u309a"
SMALL_KANA = dict(zip("あいうえおつやゆよわアイウエオツヤユヨワカケ", "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"))
SMALL_KANA.update({small: large for large, small in list(SMALL_KANA.items())})
# The national character sets an input method offers first: GB 2312 (6,763 simplified
# characters) and JIS X 0208 (6,355 kanji), through Python's codecs.
CHARACTER_SETS = {"zh": "gb2312", "ja": "shift_jis"}
# Initials and finals confused in pinyin input (regional pronunciation and fuzzy-pinyin
# settings of common IMEs).
NEAR_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
NEAR_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))
DUBEOLSIK_ROWS = ("ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ㅋㅌㅊㅍㅠㅜㅡ")


def uses_cjk_model(word: str, language: str) -> bool:
    return (language == "zh" and bool(HAN.search(word))) or (language == "ja" and bool(HAN.search(word)
                                                                                       or KANA.search(word)))


def is_hangul(word: str) -> bool:
    return bool(HANGUL_SYLLABLE.search(word))


def _in_character_set(char: str, language: str) -> bool:
    try:
        char.encode(CHARACTER_SETS[language])
        return True
    except UnicodeEncodeError:
        return False


def known_han_characters(vocab: dict[str, int]) -> dict[str, tuple[str, ...]]:
    """zh and ja: the Han characters of the tokenizer's pieces within the language's national
    character set, in order of first appearance by token id."""
    seen: dict[str, None] = {}
    for piece, _ in sorted(vocab.items(), key=lambda item: item[1]):
        seen.update((c, None) for c in piece if HAN.match(c))
    return {language: tuple(c for c in seen if _in_character_set(c, language)) for language in CHARACTER_SETS}


def _default_characters(language: str) -> tuple[str, ...]:
    return tuple(c for c in map(chr, range(0x4E00, 0xA000)) if _in_character_set(c, language))


def near_pinyin(syllable: str) -> list[str]:
    """Toneless syllables one confusion away (zhi -> zi, nan -> lan, nang; lin -> ling, nin)."""
    out = []
    for a, b in NEAR_INITIALS:
        for src, dst in ((a, b), (b, a)):
            if syllable.startswith(src) and not (src == "z" and syllable.startswith("zh")) \
                    and not (src in ("c", "s") and syllable.startswith(src + "h")):
                out.append(dst + syllable[len(src):])
    for a, b in NEAR_FINALS:
        for src, dst in ((a, b), (b, a)):
            if syllable.endswith(src) and not (src in ("an", "en", "in") and syllable.endswith(src + "g")):
                out.append(syllable[: len(syllable) - len(src)] + dst)
    return out


def pinyin_readings(char: str) -> list[str]:
    from pypinyin import Style, pinyin

    return pinyin(char, style=Style.NORMAL, heteronym=True)[0]


def kanji_reading(char: str) -> str:
    """The hiragana reading of `char`, or "" without the optional `pykakasi` (GPL-3.0, the
    `ja` extra): then Japanese typos are kana confusions only, as the attack's config says."""
    global _KAKASI
    if _KAKASI is None:
        if not same_reading_kanji_available():
            return ""
        from pykakasi import kakasi

        _KAKASI = kakasi()
    return "".join(part["hira"] for part in _KAKASI.convert(char))


def same_reading_kanji_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("pykakasi") is not None


_KAKASI = None  # pykakasi's converter loads its dictionary once; it holds no per-call state


def kana_confusions(char: str) -> list[str]:
    """The kana a romaji/kana input slip turns `char` into: dakuten/handakuten on, off or
    swapped, small <-> large."""
    out = []
    base = unicodedata.normalize("NFD", char)[0]
    for variant in (base, base + DAKUTEN, base + HANDAKUTEN):
        composed = unicodedata.normalize("NFC", variant)
        if len(composed) == 1 and composed != char and KANA.match(composed):
            out.append(composed)
    if char in SMALL_KANA:
        out.append(SMALL_KANA[char])
    return out


class CjkTypos:
    """Chinese and Japanese edits; the reading indexes are built on first use of a language."""

    def __init__(self, known_characters: dict[str, tuple[str, ...]]):
        self.known = dict(known_characters)
        self._by_reading: dict[str, dict[str, list[str]]] = {}

    def by_reading(self, language: str) -> dict[str, list[str]]:
        """reading -> known characters: toneless pinyin (zh) or hiragana (ja), main reading."""
        if language not in self._by_reading:
            index: dict[str, list[str]] = {}
            for char in self.known.get(language) or _default_characters(language):
                # A replacement is filed under its main reading only: pypinyin's heteronyms
                # include archaic readings (找 as "hua") that no one types for it.
                reading = pinyin_readings(char)[0] if language == "zh" else kanji_reading(char)
                if reading and reading != char:
                    index.setdefault(reading, []).append(char)
            self._by_reading[language] = index
        return self._by_reading[language]

    def same_reading(self, char: str, language: str) -> list[str]:
        """Known characters whose main reading is one of `char`'s readings (every reading of a
        heteronym: 行 is xing and hang); zh: then those a near pinyin away."""
        index = self.by_reading(language)
        readings = pinyin_readings(char) if language == "zh" else [kanji_reading(char)]
        out = [c for r in readings for c in index.get(r, ())]
        if language == "zh":
            out += [c for r in readings for near in near_pinyin(r) for c in index.get(near, ())]
        return [c for c in dict.fromkeys(out) if c != char]

    def edits(self, word: str, language: str):
        for i, char in enumerate(word):
            if HAN.match(char):
                replacements = self.same_reading(char, language)
            elif language == "ja" and KANA.match(char):
                replacements = kana_confusions(char)
            else:
                replacements = []
            for other in replacements:
                yield word[:i] + other + word[i + 1:]
        if language == "ja":
            yield from long_vowel_edits(word)


def long_vowel_edits(word: str):
    """Katakana: each long vowel mark dropped; one added after the last katakana if none follows."""
    for i, char in enumerate(word):
        if char == LONG_VOWEL:
            yield word[:i] + word[i + 1:]
    if word and re.match(r"\p{Katakana}", word[-1]) and word[-1] != LONG_VOWEL and word[-1] not in SMALL_KANA.values():
        yield word + LONG_VOWEL


def keyboard_neighbours(rows: tuple[str, ...]) -> dict[str, str]:
    """Keys left/right in the same row and the keys at the same index one row up or down
    (every keyboard typo model: QWERTY and JCUKEN in typo.py, Dubeolsik here)."""
    out = {}
    for r, row in enumerate(rows):
        for i, key in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            near += [rows[o][i] for o in (r - 1, r + 1) if 0 <= o < len(rows) and i < len(rows[o])]
            out[key] = "".join(near)
    return out


DUBEOLSIK = keyboard_neighbours(DUBEOLSIK_ROWS)


def syllable_edits(syllable: str) -> list[str]:
    """Syllables with one jamo replaced by a Dubeolsik neighbour of the same kind."""
    from jamo import JAMO_LEADS_MODERN, JAMO_TAILS_MODERN, JAMO_VOWELS_MODERN, h2j, hcj_to_jamo, j2h, j2hcj

    valid = {"lead": JAMO_LEADS_MODERN, "vowel": JAMO_VOWELS_MODERN, "tail": JAMO_TAILS_MODERN}
    parts = list(h2j(syllable))  # conjoining jamo: lead, vowel[, tail]
    roles = ("lead", "vowel", "tail")[: len(parts)]
    out = []
    for k, (part, role) in enumerate(zip(parts, roles)):
        for key in DUBEOLSIK.get(j2hcj(part), ""):
            # Checked first: the package's InvalidJamoError prints to stdout when raised.
            replacement = hcj_to_jamo(key, role)
            if replacement not in valid[role]:
                continue  # a vowel key where a consonant belongs, or a final that does not exist (ㄸ)
            composed = j2h(*(parts[:k] + [replacement] + parts[k + 1:]))
            if composed != syllable and HANGUL_SYLLABLE.fullmatch(composed):
                out.append(composed)
    return out


def hangul_edits(word: str):
    for i, char in enumerate(word):
        if HANGUL_SYLLABLE.match(char):
            for other in syllable_edits(char):
                yield word[:i] + other + word[i + 1:]
