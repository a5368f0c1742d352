"""One set of keys everywhere: the table in coach.session.keys is what the controller does,
what the window shows, what `--help` prints and what the README lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.cli import build_parser
from coach.session import keys as K

REPO = Path(__file__).resolve().parent.parent


def test_no_key_means_two_things_at_once():
    for when in ("exercise", "question"):
        seen = [k for b in K.KEYS if b.applies(when) for k in b.keys]
        assert len(seen) == len(set(seen)), when
    bad = (K.Binding("skip", ("n",), "exercise", ""), K.Binding("no", ("n",), "always", ""))
    with pytest.raises(ValueError, match="both"):
        K._check_table(bad)


def test_what_each_key_does():
    assert K.action_of("s", "exercise") == "skip"
    assert K.action_of("n", "exercise") is None       # N is no, never skip (README said "n skips")
    assert K.action_of("n", "question") == "no"
    assert K.action_of("j", "question") == K.action_of("y", "question") == "yes"
    assert K.action_of(" ", "question") is None        # no pause at the question
    assert K.action_of("esc", "question") == K.action_of("q", "exercise") == "stop"
    assert K.normalise_key(ord("S")) == "s" and K.normalise_key("space") == " " and K.normalise_key(27) == "esc"
    assert K.normalise_key(ord("x")) is None


def test_the_window_stops_on_the_tables_stop_keys():
    from coach.ui.window import STOP_KEYS

    assert set(STOP_KEYS) == {ord("q"), ord("Q"), 27}


def test_the_screen_shows_the_tables_keys():
    """The session's prompts carry the key line made from the table, in each language."""
    from tests.test_session import controller, feed, hold_and_release

    from coach.ui.session_view import SessionRenderer

    c = controller(1)
    nb = SessionRenderer(c, "nb")
    en = SessionRenderer(c, "en")
    feed(c, 0, 500)
    assert nb.prompt_view().hint == "Mellomrom/P: pause · S: hopp over · Q/Esc: stopp"
    assert en.prompt_view().hint == "Space/P: pause · S: skip · Q/Esc: stop"
    hold_and_release(c, 500, 14000, 16000)
    assert c.stage == "symptoms"
    assert nb.prompt_view().hint == "J/Y: ja · N: nei · Q/Esc: stopp"
    assert en.prompt_view().hint == "Y/J: yes · N: no · Q/Esc: stop"
    assert "S:" not in en.prompt_view().hint
    # the spoken and shown instruction names the same keys
    assert "trykk J" in nb.prompt_view().body and "trykk N" in nb.prompt_view().body
    assert "press Y" in en.prompt_view().body and "press N" in en.prompt_view().body


def test_readme_lists_exactly_the_tables_keys():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"The keys in the window[^\n]*\n(?:[^\n]+\n)*?\n?```text\n(.*?)```", text, re.S)
    assert m, "README: the key table block is missing"
    assert m.group(1).splitlines() == K.help_lines()
    # and nothing else in the README describes the keys differently
    assert "n skip" not in text and "space/p pause" not in text
    assert re.search(r"coach live[^\n]*\(Q/Esc stops\)", text)


def test_session_help_prints_the_table():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    text = sub.choices["session"].format_help()
    block = text[text.index("keys in the window:"):].splitlines()[1:]
    assert [line[2:] for line in block if line.strip()] == K.help_lines()
    assert "Q/Esc" in sub.choices["live"].format_help()


def test_controls_line_in_both_languages_uses_the_catalogue_words():
    from coach import i18n

    for lang in i18n.LANGS:
        for b in K.KEYS:
            assert i18n.has_key(b.text_key, lang)
    assert K.answer_keys("nb") == {"yes": "J", "no": "N"} and K.answer_keys("en") == {"yes": "Y", "no": "N"}


def test_answers_file_names_the_tables_keys(tmp_path):
    from coach.errors import InputError
    from coach.session.program import load_answers

    p = tmp_path / "a.yaml"
    p.write_text("keys: [[1, x]]\n")
    with pytest.raises(InputError) as exc:
        load_answers(str(p))
    msg = str(exc.value)
    for b in K.KEYS:
        for k in b.keys:
            assert ("space" if k == " " else k) in msg
