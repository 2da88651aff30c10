"""Negation words per language: words an attack must neither change nor insert.

Replacing a word by "nicht" or "不是" turns a paraphrase into a contradiction, so a
"successful" attack that does so measures a label change, not robustness (issue 16:
aufgestellt -> nicht). No maintained multilingual negation list exists as a package
(stopword lists hold some negations, not all, and not marked as such), so these lists were
written for xrobust from standard grammars of each language. They cover the free-standing
negators and the negative pronouns/adverbs (nobody, nothing, never, without); they do not
cover negation inside verb morphology (Turkish -me/-ma, Swahili ha-, si-), which a word
list cannot see.

Three kinds of entries, all compared lower-case:
- WORDS: whole words ("nicht", "pas");
- PREFIXES: a word starting with one is a negation ("kein" -> keine, keinen), used only where
  no ordinary word shares the prefix;
- PARTS: for scripts without spaces or with agglutinated words (zh, ja, ko, th), a word
  containing one is a negation ("没有", "不是"; Korean "않" in 하지않다; Japanese "ない").
  This also catches words such as 不同 (different) or 不过 (but): a cost accepted because
  leaving a word alone is safe, while inserting or removing a negation is not.
"""

WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "en": "not n't no never none nobody nothing neither nor nowhere cannot can't don't doesn't didn't isn't "
          "aren't wasn't weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't without",
    "de": "nicht nie niemals niemand nichts weder ohne nirgends nirgendwo",
    "fr": "ne n' pas non jamais aucun aucune rien ni sans nulle nul guère",
    "es": "no nunca jamás nadie nada ninguno ninguna ningún ni tampoco sin",
    "ar": "لا لم لن ليس ليست ليسوا غير بدون أبدا ابدا",
    "bg": "не няма никога никой никоя никое никои нищо без нито",
    "el": "δεν μην όχι ποτέ κανένας κανείς καμία κανένα τίποτα χωρίς ούτε",
    "hi": "नहीं न मत बिना कभी",
    "ru": "не нет ни никогда никто ничто ничего никого никому никак нигде без нельзя",
    "sw": "si sio siyo hapana bila hakuna hamna",
    "th": "ไม่ มิ ห้าม ปราศจาก",
    "tr": "değil yok hiç hiçbir asla ne",
    "ur": "نہیں نہ مت بغیر کبھی",
    "vi": "không chẳng chưa chả đừng chớ",
    "zh": "不 没 没有 沒有 無 无 非 未 别 勿 莫 否",
    "ja": "ない ず ぬ ません なし 無 不 非 未",
    "ko": "안 못 않다 없다 아니다 아니",
}.items()}

PREFIXES: dict[str, tuple[str, ...]] = {
    "de": ("kein",),  # keine, keinen, keinem, keiner, keines
    "fr": ("n'",),
    "tr": ("hiç",),  # hiçbir, hiçkimse
}

PARTS: dict[str, tuple[str, ...]] = {
    "zh": ("不", "没", "沒", "无", "無", "未", "别", "勿", "莫", "非"),
    "ja": ("ない", "なかっ", "ません", "ず", "無", "不", "非", "未"),
    "ko": ("않", "없", "아니", "못하", "못한", "못했"),
    "th": ("ไม่",),
}


def is_negation(word: str, language: str) -> bool:
    lower = word.lower()
    if lower in WORDS.get(language, ()) or lower.startswith(PREFIXES.get(language, ())):
        return True
    if lower.endswith("n't"):  # English contractions not listed (mustn't, needn't)
        return language == "en"
    return any(part in lower for part in PARTS.get(language, ()))


def negation_languages() -> tuple[str, ...]:
    return tuple(sorted(WORDS))
