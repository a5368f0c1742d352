"""The engine's words: side names, body-part names and filling {placeholders} of spec and
catalogue texts, per language (the texts themselves live in the catalogues and the specs)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from coach import i18n
from coach.pose import Landmark
from coach.vocab import OTHER_SIDE

# Texts live in the catalogues (coach/i18n/<lang>.json: engine.*, side_word.*, part.*)
SIDE_NAMES: dict[str, dict[str, str]] = {s: i18n.texts(f"side_word.{s}") for s in ("right", "left")}
ENGINE_TEXT: dict[str, dict[str, str]] = i18n.texts_under("engine")
_PART: dict[str, tuple[str, str]] = {k: (v["nb"], v["en"]) for k, v in i18n.texts_under("part").items()}


@functools.lru_cache(maxsize=None)
def body_part_name(index: int, lang: str) -> str:
    """'right knee' / 'høyre kne' for a landmark index."""
    key = Landmark(index).key
    side = None
    for s in ("left", "right"):
        if key.startswith(s + "_"):
            side, key = s, key[len(s) + 1:]
    if key.endswith("_inner") or key.endswith("_outer"):
        key = key.rsplit("_", 1)[0]
    if key.startswith("mouth"):
        key = "mouth"
    nb, en = _PART.get(key, (key, key))
    name = nb if lang == "nb" else en
    if side is not None and key != "mouth":
        name = f"{SIDE_NAMES[side][lang]} {name}"
    return name


def _fmt_value(v: Any, lang: str = "en") -> str:
    """A number in a spoken or shown text: whole above 10, else one decimal, written the
    language's way (``2,5`` in Norwegian)."""
    if isinstance(v, float):
        return i18n.number(v, lang, 0 if abs(v) >= 10 or v == int(v) else 1)
    return str(v)


def fill(text: Mapping[str, str], params: Mapping[str, Any]) -> dict[str, str]:
    """Replace {placeholders} per language. ``side``/``other_side`` are translated."""
    out = {}
    for lang, s in text.items():
        for name, value in params.items():
            token = "{" + name + "}"
            if token not in s:
                continue
            if name in ("side", "other_side") and value in SIDE_NAMES:
                rep = SIDE_NAMES[value][lang]
            elif isinstance(value, Mapping):
                rep = str(value.get(lang, ""))
            else:
                rep = _fmt_value(value, lang)
            s = s.replace(token, rep)
        out[lang] = s
    return out


def text_params(phase: Any, side: str | None, **extra: Any) -> dict[str, Any]:
    """What a spec text (cue, instruction) is filled with on a step of ``phase`` on ``side``:
    the side and the other side, the phase's targets, and ``extra`` (the values of the
    moment: reps so far, seconds held, ...). None values are left out, so their
    placeholders stay for the caller to handle."""
    params: dict[str, Any] = {"side": side, "other_side": OTHER_SIDE.get(side or "")}
    for name in ("min_s", "target_s", "max_s", "min_reps", "target_reps", "max_reps"):
        params[name] = getattr(phase, name, None)
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}
