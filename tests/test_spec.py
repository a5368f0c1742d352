"""Spec and profile loading: every shipped spec validates; bad input fails with file:line: field: message."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from coach import i18n

from coach.errors import CoachError
from coach.tools.explain import explain
from coach.spec import (
    SpecError, list_specs, load_profile, load_spec, parse_profile, parse_spec, spec_dir, spec_ids,
)
from coach.vocab import CONTRAINDICATIONS

EXERCISE_IDS = ["lying_twist", "chair_extension", "cat_cow", "knee_to_chest", "seated_rotation",
                "passive_hang", "crossed_leg_rotation"]


def rule_ids_table() -> dict[str, list[str]]:
    """exercise_specs/RULE_IDS.md: exercise -> the rule ids the synthetic studio uses."""
    out = {}
    for line in (spec_dir() / "RULE_IDS.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*([a-z_]+)\s*\|\s*([a-z_, ]+)\|", line)
        if m and m.group(1) != "exercise":
            out[m.group(1)] = [s.strip() for s in m.group(2).split(",")]
    return out


# ----------------------------------------------------------------------------- shipped specs

def test_the_seven_specs_exist_and_validate():
    assert spec_ids() == sorted(EXERCISE_IDS)
    specs = list_specs()
    assert [s.id for s in specs] == sorted(EXERCISE_IDS)


@pytest.mark.parametrize("exercise", EXERCISE_IDS)
def test_spec_has_every_studio_rule_id(exercise):
    spec = load_spec(exercise)
    table = rule_ids_table()
    assert set(table[exercise]) <= set(spec.rules), set(table[exercise]) - set(spec.rules)


@pytest.mark.parametrize("exercise", EXERCISE_IDS)
def test_spec_basics(exercise):
    spec = load_spec(exercise)
    assert spec.names["nb"] and spec.names["en"]
    assert spec.contraindications and set(spec.contraindications) <= set(CONTRAINDICATIONS)
    assert {"acute_back_pain", "disc_herniation", "osteoporosis", "back_surgery"} <= set(spec.contraindications)
    for r in spec.rules.values():
        assert r.cue["nb"] != r.cue["en"]


def test_article_numbers():
    """Holds, reps and sides from the article (EXERCISES.md)."""
    lt = load_spec("lying_twist").phase("twist")
    assert (lt.min_s, lt.max_s, lt.per_side) == (30, 60, True)
    ce = load_spec("chair_extension").phase("lean")
    assert (ce.min_reps, ce.max_reps, ce.peak_min_s) == (5, 8, 3)
    cc = load_spec("cat_cow").phase("cycles")
    assert (cc.min_reps, cc.max_reps) == (10, 15)
    kc = load_spec("knee_to_chest")
    assert kc.phase("one_knee").min_s == 30 and kc.phase("one_knee").per_side
    assert (kc.phase("rock").min_s, kc.phase("rock").max_s) == (30, 60)
    assert load_spec("seated_rotation").phase("turn").min_s == 30
    ph = load_spec("passive_hang").phase("hang")
    # 20-30 s of hanging; the clock starts at the grip, so "that's enough" allows 5 s to lift
    # the feet after taking the bar (the spec's comment)
    assert (ph.min_s, ph.max_s) == (20, 30 + 5)
    assert load_spec("crossed_leg_rotation").phase("lower").min_s == 30
    assert "pregnancy" in load_spec("knee_to_chest").contraindications
    assert "sciatica_flare" in load_spec("lying_twist").contraindications


def test_load_by_path_equals_by_id():
    a = load_spec("cat_cow")
    b = load_spec(spec_dir() / "cat_cow.yaml")
    assert a == b


def test_unknown_id_lists_choices():
    with pytest.raises(SpecError, match=r"nope: unknown exercise id, expecting one of \[cat_cow"):
        load_spec("nope")


@pytest.mark.parametrize("exercise", EXERCISE_IDS)
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_explain_reads_in_both_languages(exercise, lang):
    spec = load_spec(exercise)
    text = explain(spec, lang)
    assert text.startswith(spec.names[lang])
    for r in spec.rules.values():
        assert f"{i18n.rule_name(spec.id, r.id, lang)} ({r.id}):" in text
    assert "{" not in text and "None" not in text and "?" not in text.replace("?»", "").replace("?”", "")
    if lang == "nb":
        assert "Hva kameraet følger med på" in text and "What the camera" not in text
    else:
        assert "What the camera checks" in text


def test_explain_shows_thresholds():
    text = explain(load_spec("seated_rotation"), "en")
    assert "between -10° and 10°" in text       # shoulders level (shoulders_tipping)
    assert "Hold at least 30 s." in text
    assert "Hold at least 30 s (aim for 45 s, at most 60 s)" in explain(load_spec("knee_to_chest"), "en")
    nb = explain(load_spec("lying_twist"), "nb")
    assert "Sier fra etter 1,5 s" in nb   # decimal comma in bokmål


def test_explain_says_how_far_off_the_camera_may_stand():
    """A side spec's camera bound (camera.max_off_deg) is said; a front spec has none by default."""
    spec = load_spec("chair_extension")
    assert "more than 43° off this direction" in explain(spec, "en")
    assert "mer enn 43° unna denne retningen" in explain(spec, "nb")
    assert "more than 38° off this direction" in explain(load_spec("knee_to_chest"), "en")   # a body on the floor
    assert "30° off" in explain(dataclasses.replace(spec, camera_max_off_deg=30.0), "en")
    assert "off this direction" not in explain(load_spec("passive_hang"), "en")


def test_explain_names_the_rules_only_for_getting_into_position():
    en = explain(load_spec("crossed_leg_rotation"), "en")
    assert "Checked only to get into position, not once the hold has begun: Cross your right leg over the other." in en
    nb = explain(load_spec("crossed_leg_rotation"), "nb")
    assert "Sjekkes bare for å komme i stillingen, ikke når holdet er i gang: Kryss høyre ben over det andre." in nb
    assert "Checked only to get into position" not in explain(load_spec("lying_twist"), "en")


# ----------------------------------------------------------------------------- error messages

def shipped(exercise: str) -> str:
    return (spec_dir() / f"{exercise}.yaml").read_text(encoding="utf-8")


def err(text: str, stem="lying_twist") -> str:
    with pytest.raises(SpecError) as exc:
        parse_spec(text, "x.yaml", stem=stem)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_error_unknown_field_has_file_line_and_path():
    text = shipped("lying_twist").replace("    persist_s: 1.0\n    severity: form\n    phases: [twist]\n    cue: {nb: Hold",
                                          "    persist_s: 1.0\n    colour: red\n    severity: form\n    phases: [twist]\n    cue: {nb: Hold")
    msg = err(text)
    assert msg.startswith(f"x.yaml:{line_of(text, 'colour: red')}: rules.shoulder_lifting.colour: unknown field")


def test_error_wrong_type():
    text = shipped("cat_cow").replace("    max_deg: 20\n", "    max_deg: high\n", 1)
    msg = err(text, stem="cat_cow")
    assert msg == f"x.yaml:{line_of(text, 'max_deg: high')}: rules.wrists_not_under_shoulders.max_deg: must be a number, got 'high'"


def test_error_out_of_range_and_order():
    text = shipped("lying_twist").replace("    min_s: 30        # article: at least 30 s", "    min_s: 50")
    msg = err(text)
    assert msg.startswith(f"x.yaml:{line_of(text, 'target_s: 30')}: phases[1].target_s: must be >= min_s (50)")
    text = shipped("seated_rotation").replace("    min_deg: -10", "    min_deg: 20")
    assert "rules.shoulders_tipping.max_deg: must be above min_deg (20), got 10" in err(text, stem="seated_rotation")
    text = shipped("lying_twist").replace("    persist_s: 1.0\n    severity: form", "    persist_s: -1\n    severity: form")
    assert "rules.shoulder_lifting.persist_s: must be >= 0, got -1" in err(text)


def test_error_wrong_unit_suffix_names_the_right_one():
    text = shipped("lying_twist").replace("    min_body: 0.4\n", "    min_deg: 0.4\n")
    msg = err(text)
    assert "rules.knee_brought_over.min_deg: unknown field (measure 'ankle_gap_held' is in body: use the suffix _body)" in msg


def test_error_unknown_measure_type_and_param():
    text = shipped("seated_rotation").replace("{type: tilt_from_start, points:", "{type: tilt_form_start, points:")
    msg = err(text, stem="seated_rotation")
    assert f"x.yaml:{line_of(text, 'tilt_form_start')}: measures.shoulder_level.type: unknown measure type " \
        "'tilt_form_start'" in msg
    text = shipped("knee_to_chest").replace("points: [near_wrist, moving_knee]", "points: [near_wrist, moving_kneee]")
    msg = err(text, stem="knee_to_chest")
    assert msg.startswith(f"x.yaml:{line_of(text, 'moving_kneee')}: measures.hands_to_knee.points:")
    assert "moving_kneee" in msg


def test_error_unknown_references():
    text = shipped("seated_rotation").replace("    measure: shoulder_level\n", "    measure: shoulder_levle\n")
    assert "rules.shoulders_tipping.measure: unknown measure 'shoulder_levle'" in err(text, stem="seated_rotation")
    text = shipped("lying_twist").replace("    phases: [twist]\n    cue: {nb: Hold", "    phases: [twsit]\n    cue: {nb: Hold")
    assert "rules.shoulder_lifting.phases[0]: unknown value 'twsit', expecting one of [start, twist]" in err(text)
    text = shipped("lying_twist").replace("position: [knee_brought_over, knee_not_crossing]",
                                          "position: [knee_brought_over, knee_not_crosing]")
    assert "phases[1].position[1]: unknown rule 'knee_not_crosing'" in err(text)


def test_error_bad_placeholder_and_missing_language():
    text = shipped("lying_twist").replace("en: Keep both shoulders on the floor.", 'en: "Keep both {shoulder} down."')
    assert "rules.shoulder_lifting.cue.en: unknown placeholder {shoulder}" in err(text)
    text = shipped("lying_twist").replace("cue: {nb: Hold begge skuldrene nede mot gulvet., en: Keep both shoulders on the floor.}",
                                          "cue: {en: Keep both shoulders on the floor.}")
    assert "rules.shoulder_lifting.cue: missing required field 'nb'" in err(text)


def test_error_yaml_syntax_and_duplicates():
    msg = err("id: x\nnames: {nb: a, en: b\n")
    assert re.match(r"x\.yaml:\d+: YAML: ", msg)
    msg = err(shipped("lying_twist").replace("sides:\n", "names: {nb: a, en: b}\nsides:\n", 1))
    assert "names: duplicate key" in msg


def test_error_id_must_match_file():
    msg = err(shipped("cat_cow"), stem="dog_cow")
    assert "id: must match the file name 'dog_cow', got 'cat_cow'" in msg


def test_python_tags_are_rejected_safely():
    msg = err("!!python/object/apply:os.system ['echo hacked']\n")
    assert msg.startswith("x.yaml:1:")


def test_spec_error_is_a_coach_error():
    assert issubclass(SpecError, CoachError)


# ----------------------------------------------------------------------------- profiles

PROFILE = """\
patient: Kari N.
note: Stiff after surgery in 2019; go gently.
exercises:
  lying_twist:
    rules:
      shoulder_lifting: {max_body: 0.03, min_body: -0.03}
      head_not_turned: {enabled: false}
    hold: {target_s: 40, min_s: 20}
  cat_cow:
    reps: {min_reps: 6, target_reps: 8}
    rules:
      too_fast: {min_s: 5}
"""


def test_profile_overrides_thresholds_holds_and_reps(tmp_path):
    p = tmp_path / "kari.yaml"
    p.write_text(PROFILE, encoding="utf-8")
    prof = load_profile(p)
    assert prof.patient == "Kari N."
    lt = load_spec("lying_twist", prof)
    assert (lt.rules["shoulder_lifting"].min, lt.rules["shoulder_lifting"].max) == (-0.03, 0.03)
    assert "head_not_turned" not in lt.rules
    assert (lt.phase("twist").min_s, lt.phase("twist").target_s) == (20, 40)
    assert lt.profile_label == "Kari N."
    cc = load_spec("cat_cow", prof)
    assert (cc.phase("cycles").min_reps, cc.phase("cycles").target_reps) == (6, 8)
    assert cc.rules["too_fast"].min_s == 5
    # untouched exercises and the spec on disk are unchanged
    assert load_spec("passive_hang", prof) == load_spec("passive_hang").__class__(
        **{**load_spec("passive_hang").__dict__, "profile_label": "Kari N."})
    on_disk = yaml.safe_load(shipped("lying_twist"))["rules"]["shoulder_lifting"]["max_body"]
    assert load_spec("lying_twist").rules["shoulder_lifting"].max == on_disk != 0.03
    assert "Kari N." in explain(lt, "en")


def perr(text: str) -> str:
    with pytest.raises(SpecError) as exc:
        parse_profile(text, "p.yaml")
    return str(exc.value)


def test_profile_errors_point_at_the_profile():
    text = PROFILE.replace("  lying_twist:", "  lying_twists:")
    assert perr(text).startswith("p.yaml:4: exercises.lying_twists: unknown exercise, expecting one of [")
    text = PROFILE.replace("shoulder_lifting: {", "shoulder_lifted: {")
    assert perr(text).startswith("p.yaml:6: exercises.lying_twist.rules.shoulder_lifted: unknown rule for lying_twist")
    text = PROFILE.replace("{max_body: 0.03, min_body: -0.03}", "{max_deg: 8}")
    assert perr(text).startswith("p.yaml:6: exercises.lying_twist.rules.shoulder_lifting.max_deg: cannot override")
    text = PROFILE.replace("{target_s: 40, min_s: 20}", "{target_s: soon}")
    assert perr(text) == "p.yaml:8: exercises.lying_twist.hold.target_s: must be a number, got 'soon'"
    text = PROFILE.replace("patient: Kari N.\n", "")
    assert perr(text) == "p.yaml:1: (top): missing required field 'patient'"


def test_profile_value_that_breaks_the_spec_points_at_the_profile(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(PROFILE.replace("{target_s: 40, min_s: 20}", "{target_s: 40, min_s: 50}"), encoding="utf-8")
    with pytest.raises(SpecError) as exc:   # the profile is checked merged into its specs when it is loaded
        load_spec("lying_twist", load_profile(p))
    assert str(exc.value) == f"{p}:8: phases[1].target_s: must be >= min_s (50), got 40"


def test_profile_cannot_turn_off_a_position_rule(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(PROFILE.replace("head_not_turned: {enabled: false}", "knee_not_crossing: {enabled: false}"),
                 encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad.yaml:7: exercises.lying_twist.rules.knee_not_crossing.enabled: "
                                        r"rule 'knee_not_crossing' defines the position"):
        load_spec("lying_twist", load_profile(p))


def test_an_exercise_id_is_an_id_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    """Run from samples/ (a cat_cow/ folder of clips in the current directory), `-e cat_cow`
    still means the shipped spec; a folder given as a spec gets a one-line message."""
    from coach.spec.library import resolve_spec_path, spec_dir

    (tmp_path / "cat_cow").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve_spec_path("cat_cow") == spec_dir() / "cat_cow.yaml"
    with pytest.raises(SpecError, match="a folder, not a spec"):
        resolve_spec_path(tmp_path / "cat_cow")
    with pytest.raises(SpecError, match="unknown exercise id"):
        resolve_spec_path("cat_moo")
    (tmp_path / "mine.yaml").write_text("id: x\n")
    assert resolve_spec_path("mine.yaml") == Path("mine.yaml")
