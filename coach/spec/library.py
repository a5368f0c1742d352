"""The exercise specs the coach ships (``exercise_specs/`` in the repository, package data in
a wheel): finding them by id and loading them, with a physio's profile applied."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from coach import data
from coach.spec.loading import SpecError
from coach.spec.models import ExerciseSpec
from coach.spec.validation import parse_spec

if TYPE_CHECKING:
    from coach.spec.profiles import Profile


def spec_dir() -> Path:
    """The folder of the shipped exercise specs (package data, or the checkout's ``exercise_specs/``)."""
    return data.folder("exercise_specs")


def spec_ids() -> list[str]:
    return sorted(p.stem for p in spec_dir().glob("*.yaml"))


def resolve_spec_path(path_or_id: str | Path) -> Path:
    """A shipped exercise's id (``cat_cow``) or a spec file's path. An id is an id even when a
    folder of that name sits in the current directory (``samples/cat_cow/`` when run from
    ``samples/``); anything else must be a spec file."""
    p = Path(path_or_id)
    name = str(path_or_id)
    if re.fullmatch(r"[a-z][a-z0-9_]*", name):
        cand = spec_dir() / f"{name}.yaml"
        if cand.is_file():
            return cand
        if not p.is_file():
            raise SpecError(f"{name}: unknown exercise id, expecting one of [{', '.join(spec_ids())}]")
    if p.is_dir():
        raise SpecError(f"{p}: a folder, not a spec; give a .yaml spec file or an exercise id "
                        f"({', '.join(spec_ids())})")
    if not p.is_file():
        raise SpecError(f"{p}: no such spec file" if p.suffix in (".yaml", ".yml") or "/" in name
                        else f"{name}: not a spec file or exercise id")
    return p


def read_text(path: Path) -> str:
    """A spec or profile file as text; SpecError (one line) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read: {exc.__class__.__name__}") from None


def load_spec(path_or_id: str | Path, profile: "Profile | None" = None) -> ExerciseSpec:
    """Load and validate one spec (a file path or an exercise id)."""
    path = resolve_spec_path(path_or_id)
    return parse_spec(read_text(path), str(path), stem=path.stem, profile=profile)


def list_specs(profile: "Profile | None" = None) -> list[ExerciseSpec]:
    return [load_spec(spec_dir() / f"{i}.yaml", profile) for i in spec_ids()]


def schema_path() -> Path:
    """Where the JSON Schema of specs and profiles lives (next to the specs)."""
    return spec_dir() / "schema.json"


def schema_text() -> str:
    """The JSON Schema, as written to ``exercise_specs/schema.json``."""
    import json

    from coach.spec.schema import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"



def schema_md_text(current: str) -> str:
    """``schema.md`` with its generated field reference (the last part) made current."""
    from coach.spec.schema import REFERENCE_BEGIN, markdown_reference

    head = current.split(REFERENCE_BEGIN, 1)[0].rstrip("\n")
    return head + "\n\n" + markdown_reference().rstrip("\n") + "\n"
