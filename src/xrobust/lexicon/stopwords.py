"""Stopwords per language: function words an attack must not replace.

Replacing "not", "the" or "no" changes meaning or grammar rather than wording, so word
substitution attacks leave them alone (TextFooler, PWWS). The lists are short, hand-made
lists of the most frequent function words (articles, pronouns, auxiliaries, prepositions,
conjunctions, negations); they are not exhaustive.

Languages with a list: en, de, es, fr, ru, bg, el, tr, vi, zh, ja, ar, hi.
Languages without one (every word may change): ko, th, sw, ur, and any other.
"""

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""a an the and or but if then so of to in on at by for with from into over about as is are was
        were be been being am do does did have has had not no nor never i me my we our you your he him his she her
        it its they them their this that these those who whom which what there here than too very can could will
        would shall should may might must""".split()),
    "de": frozenset("""der die das den dem des ein eine einen einem einer eines und oder aber wenn dann so von zu in
        im an am auf bei mit aus für über um als ist sind war waren sein bin bist hat haben hatte nicht kein keine
        nie ich mich mein wir uns unser du dich dein er ihn sein sie ihr es wer was dies diese dieser dass da hier
        auch sehr kann wird würde soll muss""".split()),
    "es": frozenset("""el la los las un una unos unas y o pero si entonces de del a al en con por para sin sobre como
        es son era eran ser está están fue ha han había no ni nunca yo me mi nosotros tú te tu él ella le lo les
        ellos ellas su sus este esta estos estas ese esa que quien cual qué aquí allí muy también puede""".split()),
    "fr": frozenset("""le la les l un une des et ou mais si alors de du d à au aux en dans sur par pour avec sans
        comme est sont était étaient être a ont avait ne pas non jamais je me moi mon ma mes nous notre tu te ton
        il elle lui ils elles leur leurs ce cette ces qui que quoi qu y ici très aussi peut""".split()),
    "ru": frozenset("""и или но а если то в во на с со к по из у о об от до за для без как что это этот эта эти
        тот та те он она оно они мы вы ты я его её их мой наш не ни нет был была было были быть есть же ли бы
        так здесь там очень""".split()),
    "bg": frozenset("""и или но а ако то в във на с със към по от за до без при като че това този тази тези той
        тя то те ние вие ти аз го я ги му ѝ им мой наш не ни няма бил била било били е са съм си беше да ще ли
        тук там много""".split()),
    "el": frozenset("""ο η το οι τα του της των τον την ένας μια ένα και ή αλλά αν σε στο στη στον στην στα από
        με για χωρίς ως είναι ήταν δεν μη όχι εγώ εσύ αυτός αυτή αυτό αυτοί εμείς εσείς μου σου μας σας τους
        που ότι θα να εδώ εκεί πολύ""".split()),
    "tr": frozenset("""ve veya ama fakat eğer de da ile için gibi kadar bu şu o bir ben sen biz siz onlar benim
        senin onun bizim değil yok mi mı mu mü ki çok daha en ne her""".split()),
    "vi": frozenset("""và hoặc nhưng nếu thì của cho với trong trên tại từ đến là được bị có không chưa đã đang
        sẽ tôi bạn anh chị em họ chúng ta nó này đó những các một rất cũng""".split()),
    "zh": frozenset("的 了 和 与 或 但 是 在 有 不 没 我 你 他 她 它 们 这 那 个 也 都 就 而 及 之 于 把 被 吗 呢 吧".split()),
    # Japanese is split into single characters (lexicon/words.py), so only one-character particles can match.
    "ja": frozenset("の に は を た が で て と も へ や か な".split()),
    "ar": frozenset("""و أو لكن إذا ثم في على من إلى عن مع ب ل هذا هذه ذلك تلك هو هي هم هن أنا نحن أنت أنتم
        كان كانت يكون لا لم لن ما ليس الذي التي الذين قد كل""".split()),
    "hi": frozenset("""और या लेकिन अगर तो का की के में पर से को तक के लिए साथ यह वह ये वे मैं हम तुम आप
        है हैं था थी थे हो नहीं न भी ही बहुत एक कि जो""".split()),
}


def stopwords_for(language: str) -> frozenset[str]:
    """The language's stopwords (lower-case), or an empty set for languages without a list."""
    return STOPWORDS.get(language, frozenset())


def is_stopword(word: str, language: str) -> bool:
    return word.lower() in stopwords_for(language)
