"""What word-level attacks can reach in each language, measured before running any attack.

For every language of a task split: how many words a sentence has (after `split_words`), how
many of them are stopwords (attacks leave those alone), and the fraction of words that have
- a MUSE dictionary translation (what the codeswitch recipes can replace; null where no
  dictionary exists, e.g. sw, ur);
- a synonym from the first `--synonym-source` that covers the language (default
  counter-fitted: English only; muse-pivot: the MUSE languages; null where none covers it;
  encoder-neighbours is the `neighbors` column, which needs the encoder);
- a nearest neighbour in the encoder's embeddings (optional: it needs the encoder, so it is
  computed only when a caller passes `has_neighbour`; null otherwise).
Fractions count word occurrences, so frequent words weigh as often as they occur.
"""

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT, BilingualLexicon
from xrobust.lexicon.stopwords import is_stopword
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import Piece, split_words

if TYPE_CHECKING:
    from xrobust.lexicon.synonym_sources import SynonymLexicon


@dataclass(frozen=True)
class Coverage:
    language: str
    sentences: int
    words_per_sentence: float
    characters_per_word: float
    stopwords: float  # fraction of words that are stopwords
    codeswitch: float | None  # fraction with a dictionary translation; None: no dictionary
    synonym: float | None  # fraction with a synonym; None: no synonym table for the language
    neighbors: float | None  # fraction with an embedding neighbour; None: not measured
    blank_rows: int = 0  # selected rows skipped as empty or untranslated (NS): not counted above
    synonym_source: str | None = None  # the source whose table `synonym` measures


def measure_coverage(language: str, sentences: Iterable[str], lexicon: BilingualLexicon | None = None,
                     synonyms: SynonymTable | None = None,
                     has_neighbour: Callable[[str, str], bool] | None = None,
                     split: Callable[[str, str], list[Piece]] = split_words) -> Coverage:
    """Coverage of one language's sentences. `lexicon` must hold the dictionaries from
    `language` (see `dictionary_pairs`); `split` is a parameter so that another segmentation
    can be compared on the same sentences."""
    n_sentences = 0
    words: list[str] = []
    for sentence in sentences:
        n_sentences += 1
        words.extend(p.text for p in split(sentence, language) if p.is_word)
    has_dictionary = lexicon is not None and lexicon.has_source(language)
    has_synonyms = synonyms is not None

    def share(test: Callable[[str], bool]) -> float:
        if not words:
            return 0.0
        found: dict[str, bool] = {}  # each distinct word is looked up once
        return sum(found.setdefault(w, test(w)) for w in words) / len(words)

    return Coverage(
        language=language,
        sentences=n_sentences,
        words_per_sentence=len(words) / n_sentences if n_sentences else 0.0,
        characters_per_word=sum(map(len, words)) / len(words) if words else 0.0,
        stopwords=share(lambda w: is_stopword(w, language)),
        codeswitch=share(lambda w: lexicon.has_translation(w, language)) if has_dictionary else None,
        synonym=share(lambda w: w in synonyms) if has_synonyms else None,
        neighbors=share(lambda w: has_neighbour(w, language)) if has_neighbour else None,
    )


def dictionary_pairs(languages: Iterable[str]) -> set[tuple[str, str]]:
    """The MUSE files that say whether a word of each language has a translation: English
    into every MUSE language, any other language into English (pivoting adds no words)."""
    pairs = set()
    for language in languages:
        if language == PIVOT:
            pairs.update((PIVOT, other) for other in MUSE_LANGUAGES)
        elif language in MUSE_LANGUAGES:
            pairs.add((language, PIVOT))
    return pairs


def coverage_table(rows: list[Coverage]) -> str:
    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = ["| language | sentences | blank rows | words/sentence | chars/word | stopwords | codeswitch | synonym "
             "| synonym source | neighbors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for r in rows:
        lines.append(f"| {r.language} | {r.sentences} | {r.blank_rows} | {r.words_per_sentence:.1f} | "
                     f"{r.characters_per_word:.1f} | {cell(r.stopwords)} | {cell(r.codeswitch)} | "
                     f"{cell(r.synonym)} | {r.synonym_source or '-'} | {cell(r.neighbors)} |")
    lines.append("\nFractions of word occurrences; '-': no resource for the language (or not measured: "
                 "neighbors needs --neighbors).")
    return "\n".join(lines)


def coverage_json(rows: list[Coverage]) -> str:
    """One JSON object keyed by language code."""
    return json.dumps({r.language: {k: v for k, v in asdict(r).items() if k != "language"} for r in rows},
                      indent=2, ensure_ascii=False)


def load_resources(resources: Path, languages: Iterable[str], synonym_sources: tuple[str, ...] = ("counter-fitted",)
                   ) -> tuple[BilingualLexicon, "SynonymLexicon"]:
    """The dictionaries the languages need, and the synonym tables the sources give them."""
    from xrobust.lexicon.synonym_sources import load_synonyms
    from xrobust.lexicon.synonyms import DEFAULT_FILE

    languages = list(languages)
    lexicon = BilingualLexicon.load(resources / "muse", dictionary_pairs(languages))
    return lexicon, load_synonyms(synonym_sources, languages, resources / DEFAULT_FILE, resources)


def resources_dir(option_value: str | None) -> Path:
    """--resources, else $XROBUST_RESOURCES."""
    import os

    from xrobust.errors import UserError

    value = option_value or os.environ.get("XROBUST_RESOURCES")
    if not value:
        raise UserError("--resources: not given and XROBUST_RESOURCES is not set "
                        "(point it at a folder with counterfitted_neighbors.json and muse/)")
    if not Path(value).is_dir():
        raise UserError(f"--resources: {value} is not a directory")
    return Path(value)


def task_coverage(task_name: str, split: str, languages: str | None, data_dir: Path | str, resources: Path,
                  max_examples: int | None = None,
                  load_neighbour_check: Callable[[], Callable[[str, str], bool]] | None = None,
                  split_fn: Callable[[str, str], list[Piece]] = split_words,
                  synonym_sources: tuple[str, ...] = ("counter-fitted",)) -> list[Coverage]:
    """Coverage of every requested language of a task split (both sentences of each pair).
    Options, data files and resources are checked before the (slow) encoder for the
    neighbour check is loaded by `load_neighbour_check`."""
    from xrobust.errors import UserError
    from xrobust.tasks import evenly_spaced, get_task, load_examples, parse_languages
    from xrobust.tasks.xtreme import task_file

    task = get_task(task_name)
    chosen = parse_languages("--languages", languages, task)
    if max_examples is not None and max_examples < 1:
        raise UserError(f"--max-examples: {max_examples} must be at least 1")
    if str(data_dir) != "hub":
        for language in chosen:
            task_file(Path(data_dir), task, split, language)
    from xrobust.lexicon.synonym_sources import ENCODER_NEIGHBOURS, covering_source

    if ENCODER_NEIGHBOURS in synonym_sources:
        raise UserError(f"--synonym-source {ENCODER_NEIGHBOURS}: measured by --neighbors (it loads the encoder)")
    lexicon, synonyms = load_resources(resources, chosen, synonym_sources)
    has_neighbour = load_neighbour_check() if load_neighbour_check else None
    rows = []
    for language in chosen:
        examples, report = load_examples(data_dir, task, split, language)
        examples = evenly_spaced(examples, report.rows, max_examples)
        selected = min(max_examples, report.rows) if max_examples else report.rows
        sentences = (s for e in examples for s in (e.sentence1, e.sentence2))
        row = measure_coverage(language, sentences, lexicon, synonyms.table_for(language), has_neighbour, split_fn)
        rows.append(dataclasses.replace(row, blank_rows=selected - len(examples),
                                        synonym_source=covering_source(synonym_sources, language)
                                        if synonyms.covers(language) else None))
    return rows
