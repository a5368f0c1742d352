"""One vocabulary (coach.vocab): every value a spec may name is known at load time, has its
words in both catalogues, and means the same to the spec loader, the screening and the
session (passive_hang's shoulder_pain is asked and excludes it)."""

from __future__ import annotations

import re

import pytest

from coach import i18n, vocab
from coach.cli import main
from coach.session.safety import Screening, assess_screening, excluded_exercises, spec_contraindications
from coach.spec import SpecError, list_specs, load_spec, parse_spec, spec_dir


def _no(**yes: bool) -> dict[str, bool]:
    return {**{tag: False for tag in Screening().ids}, **yes}


def test_every_tag_a_spec_names_is_a_screening_question():
    named = {t for s in list_specs() for t in (*s.contraindications, *s.cautions)}
    assert named <= set(Screening().ids) == set(vocab.CONTRAINDICATIONS)


@pytest.mark.parametrize("tag", sorted(vocab.CONTRAINDICATIONS))
def test_every_tag_has_its_words_in_both_catalogues(tag):
    for lang in vocab.LANGS:
        assert i18n.t(f"screening.q.{tag}", lang).endswith("?")
        assert i18n.t(f"screening.reason.{tag}", lang)
        assert i18n.t(f"explain.contraindication.{tag}", lang)


def test_shoulder_pain_is_asked_and_excludes_passive_hang():
    specs = list_specs()
    assert "shoulder_pain" in load_spec("passive_hang").contraindications
    assert "shoulder_pain" in Screening().ids
    result = assess_screening(_no(shoulder_pain=True), spec_contraindications(specs))
    assert result.status == "ok" and not result.blocked
    assert result.excluded == {"passive_hang": "screening.reason.shoulder_pain"}
    assert excluded_exercises(_no(shoulder_pain=True), spec_contraindications(specs)) == result.excluded


def test_screening_list_asks_shoulder_pain(capsys):
    assert main(["screening", "--list", "--lang", "en"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("shoulder_pain "))
    assert "leaves exercises out" in line and "shoulders" in line


def test_unknown_tag_in_a_spec_is_a_load_error_with_file_and_line():
    path = spec_dir() / "passive_hang.yaml"
    text = path.read_text(encoding="utf-8").replace("unsure_technique, shoulder_pain]", "unsure_technique, bad_knees]")
    assert "bad_knees" in text
    with pytest.raises(SpecError) as exc:
        parse_spec(text, str(path), stem="passive_hang")
    msg = str(exc.value)
    assert re.fullmatch(rf"{re.escape(str(path))}:\d+: contraindications\[8\]: unknown value 'bad_knees', "
                        r"expecting one of \[.*shoulder_pain.*\]", msg), msg


@pytest.mark.parametrize("old, new, field", [
    ("posture: lying", "posture: upside_down", "posture"),
    ("order: [right, left]", "order: [right, middle]", r"sides\.order\[1\]"),
    ("severity: form", "severity: urgent", r"rules\.\w+\.severity"),
])
def test_other_vocabularies_are_checked_at_load_time(old, new, field):
    text = (spec_dir() / "lying_twist.yaml").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(SpecError, match=rf"^lying_twist\.yaml:\d+: {field}: unknown value"):
        parse_spec(text.replace(old, new, 1), "lying_twist.yaml", stem="lying_twist")


def test_vocabularies_are_defined_once():
    """Code compares against coach.vocab, never against its own copy of a list."""
    import coach.engine.cues as engine
    import coach.spec.validation as validation
    import coach.vision.plausibility as plausibility

    assert validation.CONTRAINDICATIONS is vocab.CONTRAINDICATIONS
    assert plausibility.POSTURES is vocab.POSTURES
    assert engine.SEVERITY_RANK is vocab.SEVERITY_RANK
    assert i18n.LANGS is vocab.LANGS
