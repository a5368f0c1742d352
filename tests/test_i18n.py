"""The nb/en catalogues: same keys, same placeholders, locale default, formatting."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from coach import i18n
from coach.errors import CoachError
from coach.i18n import catalogue, default_lang, lang_from_locale, placeholders, t


def _raw(lang: str) -> dict[str, str]:
    return json.loads(resources.files("coach").joinpath("i18n", f"{lang}.json").read_text(encoding="utf-8"))


def test_catalogues_have_the_same_keys():
    nb, en = _raw("nb"), _raw("en")
    assert set(nb) - set(en) == set(), "keys only in nb"
    assert set(en) - set(nb) == set(), "keys only in en"
    assert len(nb) > 100


def test_catalogues_have_the_same_placeholders():
    nb, en = _raw("nb"), _raw("en")
    mismatched = {k: (placeholders(nb[k]), placeholders(en[k])) for k in nb if placeholders(nb[k]) != placeholders(en[k])}
    assert mismatched == {}


def test_no_empty_strings_and_valid_format_syntax():
    for lang in i18n.LANGS:
        for key, value in _raw(lang).items():
            assert value.strip(), f"{lang}:{key} is empty"
            placeholders(value)  # raises ValueError on a broken "{"


def test_json_files_have_no_duplicate_keys():
    for lang in i18n.LANGS:
        text = resources.files("coach").joinpath("i18n", f"{lang}.json").read_text(encoding="utf-8")
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"{lang}.json repeats a key"


def test_norwegian_catalogue_is_bokmal_with_norwegian_letters():
    nb = _raw("nb")
    text = " ".join(nb.values())
    assert all(ch in text for ch in "æøå")
    assert nb["setup.cant_see.feet"] == "Jeg ser ikke føttene dine – flytt deg bakover."
    # Some strings may be the same in both languages ("OK", "Side"), but not many.
    # (strings with no word of their own, like "{reps}", "°/s" or "{view}, {height}", do not count)
    same = [k for k, v in nb.items() if v == _raw("en")[k] and re.search(r"[A-Za-zæøåÆØÅ]{3,}", re.sub(r"\{[^}]*\}", "", v))]
    assert len(same) < 10, same


REQUIRED_KEYS = [
    "setup.cant_see.feet", "symptoms.question", "screening.result.blocked", "screening.result.caution",
    "countdown.seconds_left", "phase.hold", "side.left", "report.title", "cli.no_voice",
    "camera.placement.floor_side", "session.too_many_today",
]


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_required_strings_exist(key):
    for lang in i18n.LANGS:
        assert key in catalogue(lang)


def test_t_formats_placeholders():
    assert t("countdown.seconds_left", "nb", seconds=10) == "10 sekunder igjen"
    assert t("countdown.seconds_left", "en", seconds=5) == "5 seconds left"
    assert t("setup.cant_see.feet", "en") == "I can't see your feet – move back."


def test_t_missing_placeholder_and_key_raise_key_error():
    with pytest.raises(KeyError, match="seconds"):
        t("countdown.seconds_left", "nb")
    with pytest.raises(KeyError, match="no string"):
        t("no.such.key", "nb")


def test_unknown_language_names_choices():
    with pytest.raises(CoachError, match=r"expecting one of \[nb, en\]"):
        t("phase.hold", "de")


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"LANG": "nb_NO.UTF-8"}, "nb"),
        ({"LANG": "nn_NO.UTF-8"}, "nb"),
        ({"LANG": "no_NO"}, "nb"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": "nb_NO.UTF-8"}, "nb"),
        ({"LANG": "nb_NO.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),  # LC_ALL wins
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "nb_NO.UTF-8"}, "nb"),
        ({"LANG": "en_GB.UTF-8", "LC_ALL": ""}, "en"),  # empty is unset
        ({"LANG": "nb_NO.UTF-8@euro"}, "nb"),
    ],
)
def test_default_lang_from_locale(env, expected):
    assert default_lang(env) == expected


def test_default_lang_reads_process_environment(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "nb_NO.UTF-8")
    assert default_lang() == "nb"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert default_lang() == "en"


def test_lang_from_locale_none_for_c():
    assert lang_from_locale("POSIX") is None
    assert lang_from_locale("") is None


def test_every_key_is_dotted_lower_case():
    for key in _raw("en"):
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", key), key
