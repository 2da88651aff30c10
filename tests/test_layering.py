"""The floors of the project's DESIGN.md (shared/DESIGN.md, beside the repository), checked:
an import only ever goes down or sideways.

Every module under src/xrobust is parsed (not imported) and each `import xrobust.X` or
`from xrobust.X import ...` in it, at the top or inside a function (a lazy import is still a
dependency), is compared with the floor of the module it is in. A step that needs a higher
floor is composed on that floor (e.g. evaluation/trained_run.py trains, then evaluates).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "xrobust"

FLOORS = {
    # 1: data, words and run-directory files; know nothing of models
    "errors": 1, "progress": 1, "tasks": 1, "lexicon": 1, "results": 1, "data_check": 1,
    # 2: loading encoders, pair encoding and collation, prediction: what every caller shares
    "encoders": 2,
    # 3: training and its objectives
    "training": 3, "robust": 3,
    # 4: what takes a trained classifier
    "evaluation": 4, "attacks": 4,
    # 5: what reads run directories and composes runs
    "reports": 5, "study": 5,
    # 6: commands (listing.py is `xrobust list`: it names tasks, methods and attack recipes)
    "cli": 6, "quickstart": 6, "__main__": 6, "listing": 6,
}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str | None:
    """`xrobust.training.loop` -> `training`; the package root itself has no floor."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def imported_modules(path: Path, package_root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import of an xrobust module in the file."""
    module = module_name(path, package_root)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package, one level up per extra dot
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "xrobust" or name.startswith("xrobust.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_floor():
    units = {unit(module_name(p)) for p in MODULES} - {None}
    assert units <= set(FLOORS), f"no floor for {sorted(units - set(FLOORS))}: add it to FLOORS (and shared/DESIGN.md)"


def test_no_import_goes_to_a_higher_floor():
    upward = []
    for path in MODULES:
        source = unit(module_name(path))
        if source is None:
            continue
        for line, target in imported_modules(path):
            target_unit = unit(target)
            if target_unit is not None and FLOORS.get(target_unit, 99) > FLOORS[source]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({source}, floor {FLOORS[source]}) "
                              f"imports {target} (floor {FLOORS.get(target_unit, '?')})")
    assert not upward, "imports going up a floor:\n" + "\n".join(upward)


@pytest.mark.parametrize("source, expected", [
    ("from xrobust.evaluation.zero_shot import x\n", [(1, "xrobust.evaluation.zero_shot")]),
    ("def f():\n    import xrobust.attacks.recipes\n", [(2, "xrobust.attacks.recipes")]),
    ("from ..evaluation import zero_shot\n", [(1, "xrobust.evaluation")]),
    ("from .loop import train_stage\n", [(1, "xrobust.training.loop")]),
    ("import torch\nfrom typing import TYPE_CHECKING\n", []),
])
def test_imports_are_found_at_the_top_inside_functions_and_relative(source, expected, tmp_path):
    """The checker itself: an import it missed would let an upward import through."""
    fake = tmp_path / "xrobust" / "training"
    fake.mkdir(parents=True)
    (fake / "recipe.py").write_text(source)
    assert imported_modules(fake / "recipe.py", tmp_path / "xrobust") == expected
