"""Reading and writing physio profiles for the workbench (the spec engine's profile format).

A profile may hold several exercises; saving the overrides of one exercise keeps the
others as they were. The text is validated with :func:`coach.spec.parse_profile` and the
spec loaded with it before anything is written; the file is written atomically (temporary
file in the same folder, fsync, rename) with user-only permissions, then loaded back with
:func:`coach.spec.load_profile` as a last check.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from coach.files import atomic_write
from coach.spec import ExerciseSpec, SpecError, load_profile, parse_profile, parse_spec
from coach.tools.tune.workbench import TuneError, exercise_section, overrides_from_section

PROFILE_SUFFIXES = (".yaml", ".yml")


def read_profile(path: str | os.PathLike, spec: ExerciseSpec) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(overrides for ``spec``, the file's whole document, extra keys of its section).

    The profile is validated with :func:`load_profile` (errors name file, line and field).
    """
    p = Path(path)
    profile = load_profile(p)          # SpecError (a CoachError) for a missing or invalid file
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    section = (profile.exercises or {}).get(spec.id, {})
    overrides, extra = overrides_from_section(section, spec)
    return overrides, doc, extra


def profile_text(patient: str, note: str, spec: ExerciseSpec, overrides: dict[str, Any],
                 base_doc: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
                 tool: str = "coach tune") -> str:
    """The YAML of a profile holding ``overrides`` for ``spec`` (other exercises of ``base_doc`` kept)."""
    patient = (patient or "").strip()
    note = (note or "").strip()
    if not patient:
        raise TuneError("patient: give the patient's label (a name or an id) before saving")
    if "\n" in patient:
        raise TuneError("patient: one line only")
    exercises: dict[str, Any] = {}
    if isinstance(base_doc, dict) and isinstance(base_doc.get("exercises"), dict):
        exercises = {k: v for k, v in base_doc["exercises"].items() if k != spec.id}
    section = exercise_section(overrides, extra)
    exercises[spec.id] = section
    doc: dict[str, Any] = {"patient": patient}
    if note:
        doc["note"] = note
    doc["exercises"] = exercises
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"# coach profile: per-patient overrides of the exercise specs (exercise_specs/schema.md).\n"
              f"# Written by `{tool}` on {stamp}. Use it with: coach session --profile THIS_FILE\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def check_profile_path(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    if p.suffix.lower() not in PROFILE_SUFFIXES:
        raise TuneError(f"{p}: a profile file must end in .yaml or .yml")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise TuneError(f"{parent}: folder does not exist; create it first or choose another file")
    if p.exists() and p.is_dir():
        raise TuneError(f"{p}: is a folder, not a profile file")
    return p


def save_profile(path: str | os.PathLike, patient: str, note: str, spec: ExerciseSpec, spec_text: str,
                 overrides: dict[str, Any], extra: dict[str, Any] | None = None, tool: str = "coach tune") -> Path:
    """Write (or update) a profile file; returns its path. Raises TuneError / SpecError (one line)."""
    p = check_profile_path(path)
    base_doc = None
    if p.exists():
        try:
            base_doc = yaml.safe_load(p.read_text(encoding="utf-8"))
            parse_profile(p.read_text(encoding="utf-8"), str(p))
        except (SpecError, yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
            raise TuneError(f"{p}: exists and is not a valid profile ({str(exc).splitlines()[0]}); "
                            f"choose another file name") from None
    if isinstance(base_doc, dict) and str(base_doc.get("patient", "")).strip() not in ("", patient.strip()):
        raise TuneError(f"{p}: is the profile of '{base_doc.get('patient')}', not '{patient.strip()}'; "
                        f"choose another file name (or give the same patient label)")
    text = profile_text(patient, note, spec, overrides, base_doc, extra, tool)
    # validate before writing: the profile itself, then the spec merged with it
    profile = parse_profile(text, str(p))
    parse_spec(spec_text, spec.source or f"{spec.id}.yaml", stem=spec.id, profile=profile)
    try:
        atomic_write(p, text)
    except OSError as exc:
        raise TuneError(f"could not write {p}: {exc.strerror or exc}; choose another folder") from None
    load_profile(p)   # what `coach session --profile` will do
    return p
