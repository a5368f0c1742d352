"""User-facing strings in Norwegian bokmål (``nb``) and English (``en``).

Every string the coach shows or speaks that is not exercise-spec text (spec cues carry
their own ``nb``/``en`` text) lives in ``coach/i18n/<lang>.json``: a flat object of
dotted keys (``"setup.cant_see.feet"``) to strings with ``str.format`` placeholders
(``"{seconds} sekunder igjen"``). Both catalogues have the same keys and the same
placeholders (a test checks it).

    t("countdown.seconds_left", "nb", seconds=10)   -> "10 sekunder igjen"
    default_lang()                                  -> "nb" when LANG=nb_NO.UTF-8
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

from coach.errors import CoachError
from coach.i18n.numbers import number
from coach.vocab import LANGS

FALLBACK_LANG = "en"

# Locale language codes that mean Norwegian bokmål for the coach (nynorsk and plain
# "no" users read bokmål far better than English).
_NORWEGIAN = {"nb", "nn", "no"}


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise CoachError naming the choices."""
    if lang not in LANGS:
        raise CoachError(f"lang: unknown language {lang!r}, expecting one of [{', '.join(LANGS)}]")
    return lang


@lru_cache(maxsize=None)
def catalogue(lang: str) -> Mapping[str, str]:
    """The whole catalogue for ``lang`` (read once, cached)."""
    check_lang(lang)
    text = resources.files("coach.i18n").joinpath(f"{lang}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise CoachError(f"coach/i18n/{lang}.json: must be an object of string keys to strings")
    return data


def placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in a catalogue string."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def has_key(key: str, lang: str = FALLBACK_LANG) -> bool:
    return key in catalogue(check_lang(lang))


def t(key: str, lang: str, **kwargs: object) -> str:
    """The string for ``key`` in ``lang``, formatted with ``kwargs``.

    A key missing in ``lang`` falls back to English; a key missing everywhere, or a
    placeholder without a value, raises KeyError (a programming error, not a user one).
    A float is written the language's way (``9,1`` in Norwegian; at most two decimals).
    """
    cat = catalogue(check_lang(lang))
    template = cat.get(key)
    if template is None:
        template = catalogue(FALLBACK_LANG).get(key)
    if template is None:
        raise KeyError(f"i18n: no string for key {key!r}")
    kwargs = {k: number(v, lang, 2, trim=True) if isinstance(v, float) else v for k, v in kwargs.items()}
    try:
        return template.format(**kwargs)
    except KeyError as exc:
        raise KeyError(f"i18n: {key!r} needs placeholder {exc.args[0]!r}") from None


def rule_name(exercise_id: str, rule_id: str, lang: str) -> str:
    """A rule's short name ("Skuldrene nede" / "Shoulders down"), from the catalogue key
    ``rule.<exercise_id>.<rule_id>``; a rule of a spec that has none (a physio's own spec)
    is named by its id."""
    key = f"rule.{exercise_id}.{rule_id}"
    if key in catalogue(check_lang(lang)) or key in catalogue(FALLBACK_LANG):
        return t(key, lang)
    return rule_id.replace("_", " ").capitalize()


def texts(key: str) -> dict[str, str]:
    """The raw template of ``key`` in every language, ``{"nb": ..., "en": ...}``, for code
    that fills its own placeholders (the engine's event texts, ``coach explain``)."""
    return {lang: catalogue(lang)[key] for lang in LANGS}


def t_all(key: str, **kwargs: object) -> dict[str, str]:
    """``t(key, lang, **kwargs)`` in every language: ``{"nb": ..., "en": ...}`` (event texts
    carry both, so a replay can be read in either)."""
    return {lang: t(key, lang, **kwargs) for lang in LANGS}


def join_texts(*texts: Mapping[str, str]) -> dict[str, str]:
    """Several ``{lang: text}`` joined per language with a space (empty ones left out)."""
    return {lang: " ".join(x[lang] for x in texts if x.get(lang)) for lang in LANGS}


def texts_under(prefix: str) -> dict[str, dict[str, str]]:
    """Every key under ``prefix.`` as ``{rest_of_key: {"nb": ..., "en": ...}}``."""
    cut = len(prefix) + 1
    return {k[cut:]: texts(k) for k in catalogue(FALLBACK_LANG) if k.startswith(prefix + ".")}


def lang_from_locale(value: str) -> str | None:
    """Map a locale string (``nb_NO.UTF-8``, ``en_GB``, ``C``) to a coach language,
    or None when it names no language (empty, ``C``, ``POSIX``)."""
    value = value.strip()
    if not value or value in ("C", "POSIX") or value.startswith("C."):
        return None
    code = value.split(":")[0].split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    if not code:
        return None
    return "nb" if code in _NORWEGIAN else "en"


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The coach language from the system locale: LC_ALL, then LC_MESSAGES, then LANG
    (POSIX precedence). Norwegian (nb, nn, no) gives ``nb``; anything else ``en``."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        lang = lang_from_locale(env.get(var, ""))
        if lang is not None:
            return lang
    return FALLBACK_LANG
