"""Typed access to a parsed TOML table, raising one-line errors that name the file and key.

Every getter takes the table and a key and returns a checked value; `TableReader.child`
extends the key prefix, so an error deep inside reads `studies/x.toml: methods[1].name: ...`.
"""

from dataclasses import dataclass

from xrobust.errors import UserError

MISSING = object()


@dataclass(frozen=True)
class TableReader:
    path: str  # the spec file, as the user named it
    prefix: str = ""  # "methods[1]" etc.; "" at the top level

    def key(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def child(self, key: str) -> "TableReader":
        return TableReader(self.path, self.key(key))

    def fail(self, key: str | None, message: str) -> UserError:
        where = self.key(key) if key is not None else (self.prefix or "(top level)")
        return UserError(f"{self.path}: {where}: {message}")

    def check_keys(self, table: dict, known) -> None:
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise self.fail(unknown[0], f"unknown key (known: {', '.join(sorted(known))})")

    def get(self, table: dict, key: str, kind, default=MISSING):
        """`kind` is str, int, float, bool, "table", "list[str]", "list[int]", "list[float]", "list[table]"."""
        if key not in table:
            if default is MISSING:
                raise self.fail(key, "required")
            return default
        value = table[key]
        if not matches(value, kind):
            raise self.fail(key, f"expected {describe(kind)}, got {value!r}")
        return value


def matches(value, kind) -> bool:
    if kind is float:  # TOML writes 1 for 1.0; a bool is never a number
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (str, bool):
        return isinstance(value, kind)
    if kind == "table":
        return isinstance(value, dict)
    if isinstance(kind, str) and kind.startswith("list["):
        inner = {"str": str, "int": int, "float": float, "table": "table"}[kind[5:-1]]
        return isinstance(value, list) and all(matches(item, inner) for item in value)
    raise AssertionError(kind)


def describe(kind) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", "table": "a table"}
    if kind in names:
        return names[kind]
    return {"list[str]": "a list of strings", "list[int]": "a list of integers", "list[float]": "a list of numbers",
            "list[table]": "an array of tables"}[kind]
