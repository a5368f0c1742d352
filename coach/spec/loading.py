"""Reading spec and profile YAML with the line of every field, and the typed getters that
turn each mistake into one ``file:line: field.path: message`` line (:class:`SpecError`).

Never evaluates YAML tags or spec text: plain ``yaml.SafeLoader`` nodes, size- and
depth-limited (aliases cannot blow up).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from coach.errors import CoachError
from coach.vocab import LANGS

# Placeholders a cue text may use; anything else in {braces} is a spec error.
PLACEHOLDERS: frozenset[str] = frozenset({
    "side", "other_side", "min_s", "target_s", "max_s", "achieved_s", "left_s",
    "reps", "min_reps", "target_reps", "max_reps", "value", "min", "max",
})
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")




class SpecError(CoachError):
    """A spec or profile problem: ``file:line: field.path: message`` (always one line)."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(" ".join(str(message).split("\n")).replace("\r", " "), exit_code)



Path_ = tuple[Any, ...]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps each node's start mark (line numbers for errors)."""


@dataclass
class Doc:
    """Plain YAML data plus where each field came from: path -> (file, line)."""

    data: Any
    where: dict[Path_, tuple[str, int]]
    file: str


_MAX_DEPTH = 50


_MAX_NODES = 50_000


def parse_yaml(text: str, file: str) -> Doc:
    try:
        loader = _LineLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise SpecError(f"{file}:{line}: YAML: {problem}") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise SpecError(f"{file}:1: YAML: {first}") from None
    where: dict[Path_, tuple[str, int]] = {}
    if node is None:
        return Doc(None, where, file)
    where[()] = (file, node.start_mark.line + 1)
    data = _construct(loader, node, (), where, file, 0, [0])
    return Doc(data, where, file)


def _construct(loader: _LineLoader, node: yaml.Node, path: Path_, where: dict, file: str, depth: int,
               count: list[int]) -> Any:
    line = node.start_mark.line + 1
    if depth > _MAX_DEPTH:
        raise SpecError(f"{file}:{line}: {dotted(path)}: nested too deeply")
    count[0] += 1
    if count[0] > _MAX_NODES:
        raise SpecError(f"{file}:{line}: {dotted(path)}: document too large (aliases expand to over {_MAX_NODES} values)")
    if isinstance(node, yaml.ScalarNode):
        try:
            value = loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            msg = getattr(exc, "problem", None) or str(exc).splitlines()[0] if str(exc) else "bad value"
            raise SpecError(f"{file}:{line}: {dotted(path)}: {msg}") from None
        return value
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, child in enumerate(node.value):
            p = path + (i,)
            where[p] = (file, child.start_mark.line + 1)
            out.append(_construct(loader, child, p, where, file, depth + 1, count))
        return out
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        try:
            loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        except yaml.YAMLError as exc:
            raise SpecError(f"{file}:{line}: {dotted(path)}: {getattr(exc, 'problem', None) or 'bad merge'}") from None
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError(f"{file}:{kline}: {dotted(path)}: keys must be plain names")
            key = _construct(loader, key_node, path, where, file, depth + 1, count)
            if not isinstance(key, str):
                key = str(key) if isinstance(key, (int, float, bool)) or key is None else repr(key)
            p = path + (key,)
            if key in out:
                raise SpecError(f"{file}:{kline}: {dotted(p)}: duplicate key")
            where[p] = (file, kline)
            out[key] = _construct(loader, value_node, p, where, file, depth + 1, count)
        return out
    raise SpecError(f"{file}:{line}: {dotted(path)}: unsupported YAML node")


def dotted(path: Path_) -> str:
    if not path:
        return "(top)"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = str(part)
            if not re.fullmatch(r"[\w\-]+", name):
                name = repr(name) if len(name) <= 30 else repr(name[:27] + "...")
            out += ("." if out else "") + name
    return out


class DocReader:
    """Error helper: knows where each path came from."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc

    def where(self, path: Path_) -> tuple[str, int]:
        p = tuple(path)
        while p:
            if p in self.doc.where:
                return self.doc.where[p]
            p = p[:-1]
        return self.doc.where.get((), (self.doc.file, 1))

    def err(self, path: Path_, msg: str) -> SpecError:
        file, line = self.where(path)
        return SpecError(f"{file}:{line}: {dotted(path)}: {msg}")

    # -- typed getters -------------------------------------------------------------
    def mapping(self, value: Any, path: Path_, allowed: set[str] | None = None,
                required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.err(path, f"must be a mapping, got {typename(value)}")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise self.err(path + (key,), f"unknown field, expecting one of [{', '.join(sorted(allowed))}]")
        for key in required:
            if key not in value:
                raise self.err(path, f"missing required field '{key}'")
        return value

    def string(self, value: Any, path: Path_, pattern: str | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.err(path, f"must be a non-empty text, got {typename(value)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise self.err(path, f"'{value}' is not a valid name (lower-case letters, digits, _)")
        return value

    def choice(self, value: Any, path: Path_, choices: tuple[str, ...] | list[str]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.err(path, f"unknown value {short(value)}, expecting one of [{', '.join(choices)}]")
        return value

    def number(self, value: Any, path: Path_, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.err(path, f"must be a number, got {short(value)}")
        try:
            v = float(value)
        except OverflowError:
            raise self.err(path, "must be a finite number, got a huge number") from None
        if not math.isfinite(v):
            raise self.err(path, f"must be a finite number, got {value}")
        if lo is not None and v < lo:
            raise self.err(path, f"must be >= {fmt_num(lo)}, got {fmt_num(v)}")
        if hi is not None and v > hi:
            raise self.err(path, f"must be <= {fmt_num(hi)}, got {fmt_num(v)}")
        return v

    def integer(self, value: Any, path: Path_, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.err(path, f"must be a whole number, got {short(value)}")
        if lo is not None and value < lo:
            raise self.err(path, f"must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise self.err(path, f"must be <= {hi}, got {value}")
        return int(value)

    def boolean(self, value: Any, path: Path_) -> bool:
        if not isinstance(value, bool):
            raise self.err(path, f"must be true or false, got {short(value)}")
        return value

    def text(self, value: Any, path: Path_, placeholders: bool = True) -> dict[str, str]:
        """A {nb, en} text pair; both languages required, placeholders checked."""
        m = self.mapping(value, path, set(LANGS), LANGS)
        out = {}
        for lang in LANGS:
            s = self.string(m[lang], path + (lang,))
            for name in _PLACEHOLDER_RE.findall(s):
                if not placeholders or name not in PLACEHOLDERS:
                    raise self.err(path + (lang,), f"unknown placeholder {{{name}}}, expecting one of "
                                   f"[{', '.join(sorted(PLACEHOLDERS))}]" if placeholders
                                   else f"no placeholders allowed here, got {{{name}}}")
            out[lang] = s
        nb_ph = set(_PLACEHOLDER_RE.findall(out["nb"]))
        en_ph = set(_PLACEHOLDER_RE.findall(out["en"]))
        if nb_ph != en_ph:
            raise self.err(path, f"nb and en must use the same placeholders, got {sorted(nb_ph)} and {sorted(en_ph)}")
        return out

    def str_list(self, value: Any, path: Path_, choices: tuple[str, ...] | None = None,
                 allow_empty: bool = True) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.err(path, f"must be a list, got {typename(value)}")
        if not value and not allow_empty:
            raise self.err(path, "must not be empty")
        out = []
        for i, item in enumerate(value):
            if choices is not None:
                out.append(self.choice(item, path + (i,), choices))
            else:
                out.append(self.string(item, path + (i,)))
            if out[-1] in out[:-1]:
                raise self.err(path + (i,), f"'{out[-1]}' is listed twice")
        return tuple(out)


def typename(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def short(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return typename(value)
    s = repr(value)
    return s if len(s) <= 40 else s[:37] + "..."


def fmt_num(v: float) -> str:
    return f"{v:g}"
