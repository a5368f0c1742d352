"""Reading spec and profile YAML with the line of every field, and the typed getters that
turn each mistake into one ``file:line: field.path: message`` line (:class:`SpecError`).

Never evaluates YAML tags or spec text: plain ``yaml.SafeLoader`` nodes, size- and
depth-limited (aliases cannot blow up).
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any

import yaml

from coach.errors import CoachError

# Placeholders a cue text may use; anything else in {braces} is a spec error.
PLACEHOLDERS: frozenset[str] = frozenset({
    "side", "other_side", "min_s", "target_s", "max_s", "achieved_s", "left_s",
    "reps", "min_reps", "target_reps", "max_reps", "value", "min", "max",
})
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")




class SpecError(CoachError):
    """A spec or profile problem: ``file:line: field.path: message`` (always one line).

    ``errors`` holds every problem found in the document (one line each; the message is
    the first of them, with how many more there are)."""

    def __init__(self, message: str, exit_code: int | None = None, errors: list[str] | None = None) -> None:
        message = _one_line(message)
        super().__init__(message, exit_code)
        self.errors: list[str] = [_one_line(e) for e in errors] if errors else [message]

    @classmethod
    def of(cls, errors: list[str]) -> "SpecError":
        more = len(errors) - 1
        head = errors[0] + (f" (and {more} more: coach check-spec FILE lists them)" if more > 0 else "")
        return cls(head, errors=errors)


def _one_line(message: str) -> str:
    return " ".join(str(message).split("\n")).replace("\r", " ")



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
    """Where each path of a document came from, and its errors as ``file:line: path: message``."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc

    def where(self, path: Path_) -> tuple[str, int]:
        p = tuple(path)
        while p:
            if p in self.doc.where:
                return self.doc.where[p]
            p = p[:-1]
        return self.doc.where.get((), (self.doc.file, 1))

    def line(self, path: Path_, msg: str) -> str:
        file, line = self.where(path)
        return f"{file}:{line}: {dotted(path)}: {msg}"

    def err(self, path: Path_, msg: str) -> SpecError:
        return SpecError(self.line(path, msg))


class Issues:
    """Every mistake in a document, collected (not raised one at a time): ``check-spec``
    lists them all; :meth:`raise_if_any` raises one :class:`SpecError` holding them, in
    file and line order."""

    def __init__(self, reader: DocReader) -> None:
        self.reader = reader
        self._items: dict[str, tuple[str, int, str]] = {}
        self.paths: set[Path_] = set()

    def add(self, path: Path_, msg: str) -> None:
        line = self.reader.line(tuple(path), msg)
        file, n = self.reader.where(tuple(path))
        self._items.setdefault(line, (file, n, line))
        self.paths.add(tuple(path))

    def has(self, prefix: Path_) -> bool:
        """Any error at or under ``prefix``."""
        k = len(prefix)
        return any(p[:k] == tuple(prefix) for p in self.paths)

    def extend(self, lines: list[str]) -> None:
        for line in lines:
            self._items.setdefault(line, ("", 0, line))

    def __bool__(self) -> bool:
        return bool(self._items)

    def lines(self) -> list[str]:
        return sort_lines([x[2] for x in self._items.values()], self.reader.doc.file)

    def raise_if_any(self) -> None:
        if self._items:
            raise SpecError.of(self.lines())

    def pydantic(self, exc: Any, root: Any = None) -> None:
        """A pydantic ValidationError as our lines (one per problem, our wording)."""
        seen: set[Path_] = set()
        for e in exc.errors(include_url=False):
            path, msg = _translate(e, root)
            if path in seen and e["type"] not in ("extra_forbidden", "missing"):
                continue   # one message a field (a union reports each of its members)
            seen.add(path)
            self.add(path, msg)


_PLACE = re.compile(r"^(.*?):(\d+): ")


def sort_lines(lines: list[str], main: str) -> list[str]:
    """Error lines in reading order: ``main``'s first, then by file and line."""
    def key(line: str) -> tuple[bool, str, int]:
        m = _PLACE.match(line)
        return (True, line, 0) if m is None else (m.group(1) != main, m.group(1), int(m.group(2)))

    return sorted(dict.fromkeys(lines), key=key)


def validate_doc(doc: Doc, model: Any) -> tuple[Issues, Any, dict]:
    """A document against a typed model: (every mistake found, the model or None, the raw mapping)."""
    from pydantic import ValidationError

    reader = DocReader(doc)
    issues = Issues(reader)
    data = doc.data
    if not isinstance(data, dict):
        raise reader.err((), f"must be a mapping, got {typename(data)}")
    try:
        return issues, model.model_validate(data), data
    except ValidationError as exc:
        issues.pydantic(exc, model)
        return issues, None, data


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The document path of a pydantic error location: without discriminator tags and union
    member names."""
    out: list[Any] = []
    i = 0
    parts = list(loc)
    while i < len(parts):
        part = parts[i]
        out.append(part)
        i += 1
        if len(out) == 2 and out[0] in ("phases", "rules") and i < len(parts) and len(parts) > 2:
            i += 1   # the tag of the phase kind / rule kind
        elif len(out) == 1 and out[0] == "sides" and i < len(parts):
            i += 1
    return tuple(p for p in out if not (isinstance(p, str) and (p in _TYPE_TAGS or "[" in p)))


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "function-after", "function-before",
              "function-wrap", "function-plain", "constrained-str", "lax-or-strict"}


def _translate(e: dict[str, Any], root: Any) -> tuple[Path_, str]:
    kind = e["type"]
    raw_loc = tuple(e["loc"])
    loc = _clean_loc(raw_loc)
    value = e.get("input")
    ctx = e.get("ctx") or {}
    if kind == "missing":
        return loc[:-1], f"missing required field '{loc[-1]}'"
    if kind == "extra_forbidden":
        allowed = _fields_at(root, raw_loc[:-1])
        tail = f", expecting one of [{', '.join(sorted(allowed))}]" if allowed else ""
        return loc, f"unknown field{tail}"
    if kind in ("float_type", "float_parsing", "int_parsing_size"):
        return loc, f"must be a number, got {short(value)}"
    if kind == "finite_number":
        return loc, f"must be a finite number, got {value}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return loc, f"must be a whole number, got {short(value)}"
    if kind == "bool_type":
        return loc, f"must be true or false, got {short(value)}"
    if kind in ("string_type", "string_too_short"):
        return loc, f"must be a non-empty text, got {typename(value)}"
    if kind == "string_pattern_mismatch":
        return loc, f"{short(value)} is not a valid name (lower-case letters, digits, _)"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return loc, f"unknown value {short(value)}, expecting one of [{', '.join(choices)}]"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        v = fmt_num(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else short(value)
        return loc, f"must be {op} {fmt_num(float(bound))}, got {v}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return loc, f"must be a mapping, got {typename(value)}"
    if kind in ("list_type", "tuple_type"):
        return loc, f"must be a list, got {typename(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return loc, "must not be empty" if n == 1 else f"must list {n} items, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return loc, f"must list at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "union_tag_invalid":
        field = str(ctx.get("discriminator", "kind")).strip("'")
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        return loc + (field,), f"unknown value {short(ctx.get('tag'))}, expecting one of [{', '.join(choices)}]"
    if kind == "union_tag_not_found":
        field = str(ctx.get("discriminator", "kind")).strip("'")
        return loc, f"missing required field '{field}'"
    return loc, str(e.get("msg", "invalid value")).removeprefix("Value error, ")


def _fields_at(root: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model at a pydantic error location (tags included)."""
    t: Any = root
    for part in loc:
        t = _unwrap(t, part)
        if t is None:
            return []
        if isinstance(t, type) and hasattr(t, "model_fields"):
            f = t.model_fields.get(part) if isinstance(part, str) else None
            if f is not None:
                t = f.annotation
                continue
            return []
        origin = typing.get_origin(t)
        if origin in (list, tuple):
            t = typing.get_args(t)[0]
        elif origin is dict:
            t = typing.get_args(t)[1]
        else:
            return []
    t = _unwrap(t, None)
    if isinstance(t, type) and hasattr(t, "model_fields"):
        return list(t.model_fields)
    return []


def _unwrap(t: Any, tag: Any) -> Any:
    """Strip Annotated / Optional; pick a union member by its tag (or the only model in it)."""
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(t) if m is not type(None)]
            pick = None
            for m in members:
                inner = typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m
                tags = [getattr(x, "tag", None) for x in typing.get_args(m)[1:]] if typing.get_origin(m) is typing.Annotated else []
                kind = getattr(getattr(inner, "model_fields", {}).get("kind"), "annotation", None)
                if tag is not None and (tag in tags or (kind is not None and tag in typing.get_args(kind))):
                    pick = inner
                    break
            if pick is None:
                models = [m for m in members if isinstance(m, type) and hasattr(m, "model_fields")]
                pick = models[0] if len(models) == 1 else (members[0] if len(members) == 1 else None)
            t = pick
            if t is None:
                return None
            continue
        return t


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
