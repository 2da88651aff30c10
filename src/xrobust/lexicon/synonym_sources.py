"""Synonym sources: named, offline, each declaring the languages it covers.

- `counter-fitted`: the counter-fitted neighbours (Robust-XLT's rs-da table, or `--synonyms
  FILE`): English only.
- `muse-pivot`: for every MUSE language, synonyms through English (lexicon/muse_pivot.py).
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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.errors import UserError
from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT
from xrobust.lexicon.synonyms import DEFAULT_FILE, SynonymTable, is_language_table

COUNTER_FITTED = "counter-fitted"
MUSE_PIVOT = "muse-pivot"
BUILT_IN = {COUNTER_FITTED: (PIVOT,), MUSE_PIVOT: MUSE_LANGUAGES}
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
        return {"sources": list(self.sources),
                "languages": {lang: {"source": t.source, "entries": len(t)} for lang, t in sorted(self.tables.items())}}


def resources_root() -> Path:
    root = os.environ.get("XROBUST_RESOURCES")
    if not root:
        raise UserError("--synonym-source: XROBUST_RESOURCES is not set (point it at a folder holding "
                        f"{DEFAULT_FILE} and muse/)")
    return Path(root)


def load_synonyms(entries: tuple[str, ...], languages: Iterable[str], counter_fitted_file: Path | None = None,
                  resources: Path | None = None, pivot_rule: str | None = None) -> SynonymLexicon:
    """Tables for those of `languages` the sources cover (the first covering source wins).
    Languages nobody covers get no table; callers that must refuse them call `check_covered`."""
    from xrobust.lexicon.muse_pivot import DEFAULT_RULE, pivot_table

    wanted = list(dict.fromkeys(languages))
    tables, files, english = {}, {}, None
    for language in wanted:
        entry = covering_source(entries, language, counter_fitted_file)
        if entry is None:
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
