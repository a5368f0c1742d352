"""What a guided session runs and, for headless runs, what the person answers: the
programme file (``--program``) and the answers file (``--answers``).

Programme file (YAML)::

    exercises: [lying_twist, cat_cow]     # ids (see `coach exercises`) or spec files
    intro_s: 5                            # optional SessionConfig timings, in seconds
    hand_answer_s: 2                      # a hand up this long answers yes (null: keys only)

Answers file (YAML or JSON)::

    screening: {acute_back_pain: false, ...}   # all questions (see `coach screening --list`)
    symptoms: [no, no, yes]                     # one per exercise, in order; null = no answer
    keys: [[12.5, p], [20, p], [30, s]]         # keys pressed at session seconds (coach.session.keys)

Every mistake is an :class:`InputError` naming the option, the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from coach.errors import InputError
from coach.session.keys import KEYS, normalise_key
from coach.spec import spec_ids

# The article's order (EXERCISES.md 1-7).
DEFAULT_PROGRAM = ("lying_twist", "chair_extension", "cat_cow", "knee_to_chest", "seated_rotation",
                   "passive_hang", "crossed_leg_rotation")


def _read_yaml(path: str, what: str) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what}: file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: cannot read {p}: {exc.__class__.__name__}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{what}: {p}{where}: not valid YAML/JSON") from None


def load_program(path: str | None) -> tuple[list[str], dict[str, Any]]:
    """Exercise ids and session settings from a program file, or the article's seven."""
    if path is None:
        return list(DEFAULT_PROGRAM), {}
    data = _read_yaml(path, "--program")
    if isinstance(data, list):
        data = {"exercises": data}
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list) or not data["exercises"]:
        raise InputError(f"--program: {path}: expected `exercises: [id, ...]` with at least one exercise")
    known = spec_ids()
    ids = []
    for i, ex in enumerate(data["exercises"]):
        if not isinstance(ex, str) or (ex not in known and not ex.endswith((".yaml", ".yml"))):
            raise InputError(f"--program: {path}: exercises[{i}]: unknown exercise {ex!r}, "
                                 f"expecting one of [{', '.join(known)}]")
        ids.append(ex)
    settings = {}
    allowed = {"intro_s", "framing_s", "framing_repeat_s", "symptom_timeout_s", "hand_answer_s"}
    for k, v in data.items():
        if k == "exercises":
            continue
        if k not in allowed:
            raise InputError(f"--program: {path}: unknown setting {k!r}, expecting one of "
                                 f"[exercises, {', '.join(sorted(allowed))}]")
        if not (v is None and k in ("symptom_timeout_s", "hand_answer_s")) and not isinstance(v, (int, float)):
            raise InputError(f"--program: {path}: {k}: expected a number of seconds, got {v!r}")
        settings[k] = v
    return ids, settings


def yes_no(v: Any, where: str) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("y", "yes", "j", "ja", "true"):
        return True
    if isinstance(v, str) and v.strip().lower() in ("n", "no", "nei", "false"):
        return False
    raise InputError(f"--answers: {where}: expected yes or no, got {v!r}")


def load_answers(path: str | None) -> dict[str, Any]:
    """``{"screening": {tag: bool} | None, "symptoms": [bool|None] | None, "keys": [(s, key)]}``."""
    out: dict[str, Any] = {"screening": None, "symptoms": None, "keys": []}
    if path is None:
        return out
    data = _read_yaml(path, "--answers")
    if not isinstance(data, dict):
        raise InputError(f"--answers: {path}: expected a mapping with screening / symptoms / keys")
    unknown = sorted(set(data) - {"screening", "symptoms", "keys"})
    if unknown:
        raise InputError(f"--answers: {path}: unknown key(s) {unknown}, expecting one of [screening, symptoms, keys]")
    if data.get("screening") is not None:
        if not isinstance(data["screening"], dict):
            raise InputError(f"--answers: {path}: screening: expected a mapping of question id to yes/no")
        out["screening"] = {str(k): yes_no(v, f"screening.{k}") for k, v in data["screening"].items()}
    if data.get("symptoms") is not None:
        if not isinstance(data["symptoms"], list):
            raise InputError(f"--answers: {path}: symptoms: expected a list of yes/no (one per exercise)")
        out["symptoms"] = [yes_no(v, f"symptoms[{i}]") for i, v in enumerate(data["symptoms"])]
    for i, item in enumerate(data.get("keys") or []):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], (int, float))
                and item[0] >= 0 and isinstance(item[1], str) and normalise_key(item[1]) is not None):
            names = ", ".join("space" if k == " " else k for b in KEYS for k in b.keys)
            raise InputError(f"--answers: {path}: keys[{i}]: expected [seconds, key] with key one of "
                             f"[{names}], got {item!r}")
        out["keys"].append((float(item[0]), item[1]))
    return out
