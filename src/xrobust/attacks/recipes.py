"""Recipes: named combinations of the four parts. Building a recipe is the explicit step that
reads its resources (synonym table, MUSE dictionaries, the embedding index).

Shared by every word-level recipe: the goal is to flip the gold label; words of the chosen
sides may change, stopwords never, numbers neither changed nor inserted unless `edit_numbers`,
at most `max_words_changed` of the pair's words; with `min_similarity` set, each changed
sentence must stay that close to its original under the encoder. `neighbors-greedy` also
refuses to insert stopwords, changes and inserts no negation, and sets `min_similarity` to
NEIGHBOURS_MIN_SIMILARITY when none is given. `embedding-pgd` (pgd.py) is white-box and has no parts; the runner calls it directly.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xrobust.attacks.attack import Attack
from xrobust.attacks.constraints import (MaxWordsChanged, MinSimilarity, ModifiableSides, NoNegations,
                                         NoNumberEdits, NoStopwords)
from xrobust.attacks.goal import MisclassifyGoal
from xrobust.attacks.scoring import ModelRunner
from xrobust.attacks.search import BeamSearch, GreedyWordImportance
from xrobust.attacks.transformations.codeswitch import CodeSwitch
from xrobust.attacks.transformations.neighbors import EmbeddingNeighbours
from xrobust.attacks.transformations.synonym import SynonymSwap
from xrobust.attacks.transformations.typo import Typos
from xrobust.errors import UserError
from xrobust.lexicon.synonym_sources import CHANGES_MEANING, load_synonyms, parse_sources
from xrobust.lexicon.synonym_sources import meaning_note as source_meaning_note
from xrobust.tasks import TaskSpec

PGD_RECIPE = "embedding-pgd"
NEIGHBOURS_RECIPE = "neighbors-greedy"
# neighbors-greedy's default --min-similarity (the encoder's mean-pooled cosine), from
# benchmarks/similarity_threshold.py on 40 PAWS-X dev sentences each of de, fr, zh with the
# default encoder (docs/results/perturbation-validity.md): at 0.97 it keeps 95-100% of
# one-word muse-pivot synonym substitutions and refuses 8-25% of random same-language words.
# A weak filter: this encoder's similarity barely separates the two (medians 0.995 vs 0.985).
NEIGHBOURS_MIN_SIMILARITY = 0.97


@dataclass(frozen=True)
class RecipeInputs:
    model: object
    tokenizer: object
    task: TaskSpec
    head: str
    languages: tuple[str, ...]  # languages of the sides that may change
    resources: Path  # folder with counterfitted_neighbors.json and muse/
    sides: tuple[str, ...] = ("sentence1", "sentence2")
    max_words_changed: float = 0.2
    min_similarity: float | None = None
    max_candidates: int = 20
    beam_width: int = 4
    embed_languages: tuple[str, ...] = ()  # codeswitch: () = every language with a dictionary
    synonym_sources: tuple[str, ...] = ("counter-fitted",)  # synonym-*: lexicon/synonym_sources.py
    query_budget: int | None = 2000
    edit_numbers: bool = False  # lift the NoNumberEdits constraint
    typo_model: str = "script"  # typo-greedy: per-script typo model, or "codepoint" (typo.py)
    data_dir: Path | None = None  # neighbors-greedy, encoder-neighbours: the data files whose words join each vocabulary
    batch_size: int = 32  # rows (pairs or sentences) per forward pass
    max_length: int = 128
    seed: int = 0
    autocast_dtype: object = None  # None: fp32; torch.bfloat16 / float16: forward passes under autocast


def _constraints(inputs: RecipeInputs, meaning_guards: bool = False) -> list:
    """`meaning_guards`: also keep negations, and refuse inserted stopwords (neighbors-greedy)."""
    # Cheap word-level checks first: the similarity check runs the encoder on what is left.
    constraints = [ModifiableSides(inputs.sides), NoStopwords(no_insert=meaning_guards)]
    if meaning_guards:
        constraints.append(NoNegations())
    if not inputs.edit_numbers:
        constraints.append(NoNumberEdits())
    constraints.append(MaxWordsChanged(inputs.max_words_changed))
    if inputs.min_similarity is not None:
        constraints.append(MinSimilarity(inputs.model, inputs.tokenizer, inputs.min_similarity,
                                         inputs.max_length, inputs.batch_size, inputs.autocast_dtype))
    return constraints


def _attack(inputs: RecipeInputs, transformation, search, meaning_guards: bool = False) -> Attack:
    goal = MisclassifyGoal(ModelRunner(inputs.model, inputs.tokenizer, inputs.head, inputs.max_length,
                                       inputs.batch_size, inputs.autocast_dtype))
    return Attack(goal, transformation, _constraints(inputs, meaning_guards), search, inputs.query_budget)


def meaning_note(recipe: str, languages, synonym_sources: tuple[str, ...] = ("counter-fitted",)) -> str | None:
    """lexicon/synonym_sources.py's CHANGES_MEANING for neighbors-greedy (always embedding
    neighbours) and for the synonym recipes where a language's synonyms come from
    encoder-neighbours; None where the perturbations were measured to keep meaning or are not
    word substitutions."""
    if recipe == "neighbors-greedy":
        return CHANGES_MEANING
    if recipe.startswith("synonym-"):
        return source_meaning_note(parse_sources(synonym_sources), languages)
    return None


def check_recipe_languages(recipe: str, languages, embed_languages,
                           synonym_sources: tuple[str, ...] = ("counter-fitted",)) -> None:
    """Refuse languages a recipe's resources do not cover (before anything is loaded)."""
    RECIPES[recipe].check_languages(languages, embed_languages, synonym_sources)


def _synonyms(inputs: RecipeInputs) -> SynonymSwap:
    _check_synonym_languages(inputs.languages, (), inputs.synonym_sources)
    from xrobust.lexicon.encoder_neighbours import NeighbourEncoder

    # encoder-neighbours searches the attacked model's own input embeddings
    encoder = NeighbourEncoder("the attacked checkpoint", inputs.tokenizer, inputs.model.word_embeddings().weight)
    tables = load_synonyms(parse_sources(inputs.synonym_sources), inputs.languages,
                           inputs.resources / "counterfitted_neighbors.json", inputs.resources,
                           encoder=encoder, data_dir=inputs.data_dir)
    return SynonymSwap(tables, inputs.max_candidates)


def _codeswitch(inputs: RecipeInputs) -> CodeSwitch:
    from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT

    embedded = inputs.embed_languages or (PIVOT, *MUSE_LANGUAGES)
    return CodeSwitch.load(inputs.resources / "muse", inputs.languages, embedded, inputs.max_candidates)


def synonym_greedy(inputs: RecipeInputs) -> Attack:
    """TextFooler (Jin et al., AAAI 2020): leave-one-out word importance, counter-fitted synonyms.
    Departs: no part-of-speech check; sentence similarity (optional) comes from the attacked
    encoder rather than the Universal Sentence Encoder, over the whole sentence, not a window."""
    return _attack(inputs, _synonyms(inputs), GreedyWordImportance())


def synonym_beam(inputs: RecipeInputs) -> Attack:
    """Word-substitution beam search (as in Ebrahimi et al., HotFlip, ACL 2018, and Robust-XLT's
    attacks), with counter-fitted synonyms. Departs: candidates are scored by queries, not gradients."""
    return _attack(inputs, _synonyms(inputs), BeamSearch(inputs.beam_width))


def codeswitch_greedy(inputs: RecipeInputs) -> Attack:
    """PolyGloss (Tan & Joty, NAACL 2021): replace words by their translations into other
    languages from bilingual dictionaries. Departs: raw MUSE dictionaries with English as pivot,
    no filtering of senses, greedy leave-one-out search."""
    return _attack(inputs, _codeswitch(inputs), GreedyWordImportance())


def codeswitch_beam(inputs: RecipeInputs) -> Attack:
    """PolyGloss with beam search over the code-switched candidates (same departures as above)."""
    return _attack(inputs, _codeswitch(inputs), BeamSearch(inputs.beam_width))


def neighbors_greedy(inputs: RecipeInputs) -> Attack:
    """Nearest-neighbour substitution (Alzantot et al., EMNLP 2018, used GloVe neighbours):
    here the neighbours come from the attacked encoder's own input embeddings, among the words
    of the sentence's language (lexicon/vocabulary.py), for any language with a vocabulary.
    Departs: greedy leave-one-out search instead of a genetic algorithm; no language model;
    sentence similarity from the attacked encoder, on by default (NEIGHBOURS_MIN_SIMILARITY)."""
    from xrobust.lexicon.vocabulary import language_vocabulary

    if inputs.min_similarity is None:
        inputs = dataclasses.replace(inputs, min_similarity=NEIGHBOURS_MIN_SIMILARITY)
    vocabularies = {lang: language_vocabulary(lang, inputs.resources, inputs.data_dir).words
                    for lang in inputs.languages}
    neighbours = EmbeddingNeighbours.from_model(inputs.model, inputs.tokenizer, vocabularies, inputs.max_candidates)
    return _attack(inputs, neighbours, GreedyWordImportance(), meaning_guards=True)


def typo_greedy(inputs: RecipeInputs) -> Attack:
    """DeepWordBug (Gao et al., 2018) with TextBugger's homoglyphs (Li et al., NDSS 2019):
    character edits to the most important words. Departs: words are ranked by deleting them
    (close to DeepWordBug's replace-one score, without its temporal scores); Chinese, Japanese
    and Korean get the typos of their input methods (typo.py), every other script keyboard
    neighbours or, without a keyboard table, neighbouring code points."""
    typos = Typos.for_tokenizer(inputs.tokenizer, inputs.max_candidates, inputs.seed, inputs.typo_model)
    return _attack(inputs, typos, GreedyWordImportance())


def _check_synonym_languages(languages, embed_languages, synonym_sources) -> None:
    from xrobust.lexicon.synonym_sources import check_covered

    check_covered(parse_sources(synonym_sources), languages, "--synonym-source")


def _check_muse_languages(languages, embed_languages, synonym_sources) -> None:
    from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT

    for option, values in (("--languages", languages), ("--embed-languages", embed_languages)):
        missing = [v for v in values if v != PIVOT and v not in MUSE_LANGUAGES]
        if missing:
            raise UserError(f"{option}: no MUSE dictionary for {','.join(missing)} (there are "
                            f"en<->{','.join(MUSE_LANGUAGES)}); the neighbors and typo recipes cover every language")


def _every_language(languages, embed_languages, synonym_sources) -> None:
    return None


@dataclass(frozen=True)
class Recipe:
    """Everything xrobust knows about a recipe, in one place: what builds it, which files
    under --resources it reads, which languages it covers, and its default --min-similarity.
    `build` is None for the white-box embedding-pgd, which the runner calls directly (pgd.py)."""

    name: str
    build: Callable[[RecipeInputs], Attack] | None
    reads_resources: bool  # synonym tables, MUSE dictionaries or vocabularies under --resources
    languages: str  # what covers which languages, for `xrobust list`
    check_languages: Callable[..., None]  # (languages, embed_languages, synonym_sources) -> raises
    default_min_similarity: float | None = None


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("synonym-greedy", synonym_greedy, True, "every language a --synonym-source covers "
           "(counter-fitted: en; muse-pivot: the MUSE languages; encoder-neighbours: every task language)",
           _check_synonym_languages),
    Recipe("synonym-beam", synonym_beam, True, "as synonym-greedy", _check_synonym_languages),
    Recipe("codeswitch-greedy", codeswitch_greedy, True, "en and the MUSE languages", _check_muse_languages),
    Recipe("codeswitch-beam", codeswitch_beam, True, "en and the MUSE languages", _check_muse_languages),
    Recipe(NEIGHBOURS_RECIPE, neighbors_greedy, True, "every language (a vocabulary from MUSE and the data)",
           _every_language, NEIGHBOURS_MIN_SIMILARITY),
    Recipe("typo-greedy", typo_greedy, False, "every language (input-method typos for zh, ja, ko)", _every_language),
    Recipe(PGD_RECIPE, None, False, "every language (word-embedding space, white-box)", _every_language),
)}
RECIPE_NAMES = tuple(RECIPES)


def default_min_similarity(recipe: str) -> float | None:
    """The --min-similarity a recipe uses when none is given (recorded in the attack's config)."""
    return RECIPES[recipe].default_min_similarity


def build_recipe(name: str, inputs: RecipeInputs) -> Attack:
    """The word-level attack `name` (embedding-pgd has no parts: see pgd.py)."""
    if name not in RECIPES or RECIPES[name].build is None:
        word_level = [r.name for r in RECIPES.values() if r.build is not None]
        raise UserError(f"--recipe: {name!r} is not a word-level recipe; choose one of {', '.join(word_level)}")
    return RECIPES[name].build(inputs)
