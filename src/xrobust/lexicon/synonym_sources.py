"""Synonym sources: named, offline, each declaring the languages it covers.

- `counter-fitted`: the counter-fitted neighbours (Robust-XLT's rs-da table, or `--synonyms
  FILE`): English only.
- `muse-pivot`: for every MUSE language, synonyms through English (lexicon/muse_pivot.py).
- `encoder-neighbours`: the nearest words of the same language in the input embeddings of an
  encoder (lexicon/encoder_neighbours.py): every language of the registered tasks, each from its
  vocabulary (MUSE's side of it and the words of its data files). The encoder is the one the
  command works on (the attacked or evaluated checkpoint, the model a training run starts from,
  `--model` for `augment` and `lexicon synonyms`); the run records its name.
- a path to a JSON table in the per-language format `{"language": "de", "synonyms": {word:
  [neighbours]}}` (what `xrobust lexicon synonyms` writes, or a thesaurus of your own).

`--synonym-source` takes one or more of these, comma-separated; a sentence in language L
takes its substitutes from the first source covering L. Words of a language no chosen
source covers never change: an English table looked up by spelling "finds" German `die`
(died) or `hat` (sombrero). Commands that ask for synonyms in such a language stop first
(`check_covered`), before any model or dictionary is read.
"""

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.errors import UserError
from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT
from xrobust.lexicon.synonyms import DEFAULT_FILE, SynonymTable, is_language_table
from xrobust.tasks.registry import TASKS

COUNTER_FITTED = "counter-fitted"
MUSE_PIVOT = "muse-pivot"
ENCODER_NEIGHBOURS = "encoder-neighbours"  # lexicon/encoder_neighbours.py (imports torch: loaded when used)
# Every language a registered task has data in: each has a vocabulary (MUSE, or its data files alone).
TASK_LANGUAGES = tuple(sorted({lang for task in TASKS.values() for lang in task.languages}))
BUILT_IN = {COUNTER_FITTED: (PIVOT,), MUSE_PIVOT: MUSE_LANGUAGES, ENCODER_NEIGHBOURS: TASK_LANGUAGES}
DEFAULT_SOURCES = (COUNTER_FITTED,)


def parse_sources(value: str | Iterable[str], option: str = "--synonym-source") -> tuple[str, ...]:
    """'counter-fitted,muse-pivot' or a list -> entries; a file entry must exist."""
    entries = tuple(p.strip() for p in (value.split(",") if isinstance(value, str) else value) if p.strip())
    if not entries:
        raise UserError(f"{option}: empty; give {', '.join(BUILT_IN)} or a table file")
    for entry in entries:
        if entry not in BUILT_IN and not Path(entry).is_file():
            raise UserError(f"{option} {entry}: neither a source ({', '.join(BUILT_IN)}) nor a table file")
    if len(set(entries)) != len(entries):
        raise UserError(f"{option}: a source is listed twice")
    return entries


def declared_language(path: Path) -> str:
    """A table file's language, read from the file (a plain word -> neighbours object is English)."""
    if not path.is_file():
        raise UserError(f"{path}: synonym table not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: not a JSON synonym table ({err})") from None
    return data["language"] if isinstance(data, dict) and is_language_table(data) else PIVOT


def source_languages(entry: str, counter_fitted_file: Path | None = None) -> tuple[str, ...]:
    if entry == COUNTER_FITTED:
        return (declared_language(counter_fitted_file),) if counter_fitted_file else BUILT_IN[COUNTER_FITTED]
    if entry in BUILT_IN:
        return BUILT_IN[entry]
    return (declared_language(Path(entry)),)


def check_covered(entries: tuple[str, ...], languages: Iterable[str], option: str = "--synonym-source",
                  counter_fitted_file: Path | None = None) -> None:
    """Stop, naming the language and the sources that would cover it, if a chosen language
    has no source among `entries`."""
    covered = {lang for e in entries for lang in source_languages(e, counter_fitted_file)}
    for language in languages:
        if language not in covered:
            would = [name for name, langs in BUILT_IN.items() if language in langs]
            hint = f"{' or '.join(would)} covers it" if would else "no built-in source covers it"
            raise UserError(f"{option} {','.join(entries)}: no synonym source covers {language} ({hint}; or give a "
                            f'table file {{"language": "{language}", "synonyms": {{...}}}})')


def covering_source(entries: tuple[str, ...], language: str, counter_fitted_file: Path | None = None) -> str | None:
    return next((e for e in entries if language in source_languages(e, counter_fitted_file)), None)


@dataclass
class SynonymLexicon:
    """One table per covered language; `table_for` is None elsewhere (those words stay)."""

    tables: dict[str, SynonymTable]
    sources: tuple[str, ...] = DEFAULT_SOURCES
    files: dict[str, str] = field(default_factory=dict)  # path -> what it is, for the run's record

    def table_for(self, language: str) -> SynonymTable | None:
        return self.tables.get(language)

    def covers(self, language: str) -> bool:
        return language in self.tables

    def describe(self) -> dict:
        return {"sources": list(self.sources), "languages": {lang: t.record() for lang, t in sorted(self.tables.items())}}


# Embedding neighbours were measured on a trained PAWS-X model to change a word's meaning more
# often than not (docs/results/perturbation-validity.md: pivot agreement of their
# substitutions). Results under them carry this note wherever they are shown (attacks,
# smoothed evaluation, the study report), so that nobody reads them as robustness to
# meaning-preserving edits.
CHANGES_MEANING = ("most substitutions from embedding neighbours change the word's meaning (measured: "
                   "docs/results/perturbation-validity.md, pivot agreement); an attack's success or a vote under "
                   "them may reflect a changed meaning, so they understate robustness to meaning-preserving "
                   "substitutions")


def meaning_note(sources: tuple[str, ...], languages, counter_fitted_file: Path | None = None) -> str | None:
    """CHANGES_MEANING, naming the languages whose synonyms come from encoder-neighbours; None
    when no language's do."""
    affected = [lang for lang in languages if covering_source(sources, lang, counter_fitted_file) == ENCODER_NEIGHBOURS]
    return f"{','.join(affected)}: {CHANGES_MEANING}" if affected else None


def resources_root() -> Path:
    root = os.environ.get("XROBUST_RESOURCES")
    if not root:
        raise UserError("--synonym-source: XROBUST_RESOURCES is not set (point it at a folder holding "
                        f"{DEFAULT_FILE} and muse/)")
    return Path(root)


def load_synonyms(entries: tuple[str, ...], languages: Iterable[str], counter_fitted_file: Path | None = None,
                  resources: Path | None = None, pivot_rule: str | None = None,
                  encoder: "NeighbourEncoder | Callable[[], NeighbourEncoder] | None" = None,
                  data_dir: Path | None = None) -> SynonymLexicon:
    """Tables for those of `languages` the sources cover (the first covering source wins).
    Languages nobody covers get no table; callers that must refuse them call `check_covered`.
    `encoder` (or a function loading it, called only if needed) and `data_dir` (default
    $XROBUST_DATA) serve `encoder-neighbours`."""
    from xrobust.lexicon.muse_pivot import DEFAULT_RULE, pivot_table

    wanted = list(dict.fromkeys(languages))
    tables, files, english = {}, {}, None
    by_neighbours = [lang for lang in wanted if covering_source(entries, lang, counter_fitted_file) == ENCODER_NEIGHBOURS]
    if by_neighbours:
        tables.update(_neighbour_tables(by_neighbours, encoder, resources, data_dir, files))
    for language in wanted:
        entry = covering_source(entries, language, counter_fitted_file)
        if entry is None or entry == ENCODER_NEIGHBOURS:
            continue
        if entry == COUNTER_FITTED:
            path = counter_fitted_file or (resources or resources_root()) / DEFAULT_FILE
            tables[language] = SynonymTable.load(path)
            files[str(path)] = COUNTER_FITTED
        elif entry == MUSE_PIVOT:
            from xrobust.lexicon.bilingual import BilingualLexicon

            root = resources or resources_root()
            if english is None:
                english = SynonymTable.load(root / DEFAULT_FILE)
                files[str(root / DEFAULT_FILE)] = f"{MUSE_PIVOT} (English neighbours)"
            lexicon = BilingualLexicon.load(root / "muse", {(language, PIVOT), (PIVOT, language)})
            tables[language] = pivot_table(language, lexicon, english, pivot_rule or DEFAULT_RULE)
            for pair in (f"{language}-{PIVOT}", f"{PIVOT}-{language}"):
                files[str(root / "muse" / f"{pair}.txt")] = MUSE_PIVOT
        else:
            tables[language] = SynonymTable.load(Path(entry), source=entry)
            files[entry] = "table"
    return SynonymLexicon(tables, tuple(entries), files)


def _neighbour_tables(languages: list[str], encoder, resources: Path | None, data_dir: Path | None,
                      files: dict[str, str]) -> dict:
    from xrobust.lexicon.encoder_neighbours import neighbour_tables

    if encoder is None:  # a caller's omission, not a user's: every command passes its encoder
        raise ValueError(f"{ENCODER_NEIGHBOURS} needs the encoder whose embeddings it searches")
    if resources is None and os.environ.get("XROBUST_RESOURCES"):
        resources = Path(os.environ["XROBUST_RESOURCES"])
    if data_dir is None and os.environ.get("XROBUST_DATA"):
        data_dir = Path(os.environ["XROBUST_DATA"])
    if data_dir is not None and str(data_dir) == "hub":  # --data-dir hub: no local files, not $XROBUST_DATA's
        data_dir = None
    for language in languages:
        for pair in (f"{language}-{PIVOT}", f"{PIVOT}-{language}"):
            path = resources / "muse" / f"{pair}.txt" if resources else None
            if path is not None and path.is_file():
                files[str(path)] = f"{ENCODER_NEIGHBOURS} (vocabulary)"
    return neighbour_tables(languages, encoder, resources, data_dir)
