"""Safety: screening blocks and cautions as the article says, exclusions, symptom check,
sessions per day, and local storage (0600 files, 0700 dir, atomic writes)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from coach import i18n
from coach.errors import CoachError
from coach.files import atomic_write
from coach.session.safety import (
    EXERCISE_CONTRAINDICATIONS,
    SCREENING_VERSION,
    Screening,
    SessionLog,
    SymptomCheck,
    assess_screening,
    check_tags,
    excluded_exercises,
    load_screening,
    save_screening,
    screening_needed,
)
from coach.session.store import StateStore, state_dir
from coach.vocab import CONTRAINDICATIONS

BLOCKING = ["acute_back_pain", "disc_herniation", "spinal_stenosis", "spondylolisthesis", "osteoporosis",
            "back_surgery", "neurological_symptoms", "unsure_technique"]
CAUTIONING = ["neck_surgery", "earlier_disc_herniation", "osteoarthritis", "reduced_sensation", "hypermobility",
              "sciatica_flare"]
EXERCISES = ["lying_twist", "chair_extension", "cat_cow", "knee_to_chest", "seated_rotation", "passive_hang",
             "crossed_leg_rotation"]


def _answers(**yes: bool) -> dict[str, bool]:
    a = {q: False for q in Screening().ids}
    a.update(yes)
    return a


# --------------------------------------------------------------------------- screening
def test_questionnaire_covers_every_tag_blocking_first():
    s = Screening()
    assert set(s.ids) == set(CONTRAINDICATIONS)
    effects = [q.effect for q in s.questions]
    assert effects == sorted(effects, key=["block", "caution", "exclude"].index)
    assert [q.id for q in s.questions if q.effect == "block"] == BLOCKING
    assert [q.id for q in s.questions if q.effect == "caution"] == CAUTIONING
    for q in s.questions:
        for lang in i18n.LANGS:
            assert q.text(lang).endswith("?")


def test_all_no_is_ok():
    r = assess_screening(_answers())
    assert r.status == "ok" and r.reasons == () and r.excluded == {}
    assert r.advice_keys == ("screening.result.ok",)


@pytest.mark.parametrize("tag", BLOCKING)
def test_each_blocking_question_blocks(tag):
    r = assess_screening(_answers(**{tag: True}))
    assert r.status == "blocked" and r.blocked
    assert r.reasons == (tag,)
    assert r.advice_keys[0] == "screening.result.blocked"
    msg = r.messages("nb")[0]
    assert "fysioterapeut eller lege" in msg
    assert "physiotherapist or doctor" in r.messages("en")[0]


@pytest.mark.parametrize("tag", CAUTIONING)
def test_each_cautioning_question_cautions_not_blocks(tag):
    r = assess_screening(_answers(**{tag: True}))
    assert r.status == "caution"
    assert r.reasons == (tag,)
    assert r.advice_keys[0] == "screening.result.caution"
    assert "fysioterapeut eller lege" in r.messages("nb")[0]


def test_block_wins_over_caution_and_lists_only_blocking_reasons():
    r = assess_screening(_answers(hypermobility=True, osteoporosis=True, back_surgery=True))
    assert r.status == "blocked"
    assert r.reasons == ("osteoporosis", "back_surgery")


def test_hypermobility_adds_stability_advice():
    r = assess_screening(_answers(hypermobility=True))
    assert r.advice_keys == ("screening.result.caution", "screening.advice.hypermobility")
    assert "stabilitetstrening" in " ".join(r.messages("nb"))


@pytest.mark.parametrize("tag", ["pregnancy", "hernia"])
def test_pregnancy_or_hernia_excludes_knee_to_chest_only(tag):
    r = assess_screening(_answers(**{tag: True}))
    assert r.status == "ok"
    assert r.excluded == {"knee_to_chest": f"screening.reason.{tag}"}


@pytest.mark.parametrize("tag", ["acute_back_pain", "disc_herniation", "sciatica_flare"])
def test_lying_twist_excluded(tag):
    excluded = excluded_exercises(_answers(**{tag: True}))
    assert excluded == {"lying_twist": f"screening.reason.{tag}"}


def test_no_exclusions_for_other_answers():
    for tag in CONTRAINDICATIONS:
        if tag in {"acute_back_pain", "disc_herniation", "sciatica_flare", "pregnancy", "hernia"}:
            continue
        assert excluded_exercises(_answers(**{tag: True})) == {}, tag


def test_spec_contraindications_add_exclusions_and_are_validated():
    spec = {"crossed_leg_rotation": ["sciatica_flare"], "passive_hang": ["hypermobility"]}
    ex = excluded_exercises(_answers(sciatica_flare=True, hypermobility=True), spec)
    assert ex == {"lying_twist": "screening.reason.sciatica_flare",
                  "crossed_leg_rotation": "screening.reason.sciatica_flare",
                  "passive_hang": "screening.reason.hypermobility"}
    with pytest.raises(CoachError, match="passive_hang: contraindications: unknown tag"):
        excluded_exercises(_answers(), {"passive_hang": ["bad_knees"]})


def test_exercise_table_uses_known_tags_and_ids():
    for ex, tags in EXERCISE_CONTRAINDICATIONS.items():
        assert ex in EXERCISES
        check_tags(tags)
    with pytest.raises(CoachError, match="expecting one of"):
        check_tags(["flu"])


def test_incomplete_or_unknown_answers_are_refused():
    a = _answers()
    del a["osteoporosis"]
    with pytest.raises(CoachError, match="unanswered.*osteoporosis"):
        assess_screening(a)
    with pytest.raises(CoachError, match="unknown question"):
        assess_screening({**_answers(), "flu": True})
    with pytest.raises(CoachError, match="true or false"):
        assess_screening({**_answers(), "osteoporosis": "yes"})


def test_every_tag_has_question_and_reason_strings():
    for tag in CONTRAINDICATIONS:
        for lang in i18n.LANGS:
            assert i18n.t(f"screening.q.{tag}", lang)
            assert i18n.t(f"screening.reason.{tag}", lang)


# --------------------------------------------------------------------------- symptoms
@pytest.mark.parametrize("symptom", ["pain", "tingling", "numbness", "dizziness"])
def test_any_symptom_yes_ends_session(symptom):
    r = SymptomCheck().assess({symptom: True})
    assert r.ends_session and r.symptoms == (symptom,) and r.message_key == "symptoms.stop"


def test_no_symptoms_continue():
    r = SymptomCheck().assess({"pain": False, "tingling": False, "numbness": False, "dizziness": False})
    assert not r.ends_session and r.message_key == "symptoms.ok"
    assert not SymptomCheck().assess(False).ends_session
    assert SymptomCheck().assess(True).ends_session


def test_symptom_question_text_and_unknown_symptom():
    assert SymptomCheck().question("nb") == "Kjente du smerte, prikking, nummenhet eller svimmelhet?"
    with pytest.raises(CoachError, match="expecting one of"):
        SymptomCheck().assess({"itch": True})


# --------------------------------------------------------------------------- sessions per day
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=timezone(timedelta(hours=1)))


def test_third_session_same_day_warns(tmp_path):
    log = SessionLog(StateStore(tmp_path / "state"))
    assert log.record_start(T0).warn is False
    assert log.record_start(T0 + timedelta(hours=4)).warn is False
    third = log.check(T0 + timedelta(hours=9))
    assert third.warn and third.count_today == 2 and third.message_key == "session.too_many_today"
    assert "2" in i18n.t(third.message_key, "nb", count=third.count_today)
    assert log.record_start(T0 + timedelta(hours=9)).warn


def test_new_day_resets_count(tmp_path):
    log = SessionLog(StateStore(tmp_path))
    log.record_start(T0)
    log.record_start(T0 + timedelta(hours=1))
    next_day = T0 + timedelta(days=1)
    assert log.check(next_day).warn is False
    assert log.count_on(T0.date()) == 2


def test_session_log_survives_reopen(tmp_path):
    SessionLog(StateStore(tmp_path)).record_start(T0)
    SessionLog(StateStore(tmp_path)).record_start(T0 + timedelta(minutes=30))
    assert SessionLog(StateStore(tmp_path)).check(T0 + timedelta(hours=1)).warn


# --------------------------------------------------------------------------- storage
def test_state_dir_resolution(tmp_path):
    assert state_dir({"COACH_HOME": str(tmp_path / "c")}) == tmp_path / "c"
    assert state_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "coach"
    assert str(state_dir({})).endswith(os.path.join(".local", "share", "coach"))


def test_stored_files_are_user_only(tmp_path):
    old = os.umask(0o022)
    try:
        store = StateStore(tmp_path / "coach")
        answers = _answers(hypermobility=True)
        path = save_screening(store, answers, assess_screening(answers), T0)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    data = load_screening(store)
    assert data["answers"] == answers and data["status"] == "caution"
    assert not screening_needed(store)


def test_existing_loose_dir_is_tightened(tmp_path):
    root = tmp_path / "coach"
    root.mkdir(mode=0o755)
    StateStore(root).write_json("x.json", {"a": 1})
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_screening_needed_when_missing_or_old_version(tmp_path):
    store = StateStore(tmp_path)
    assert screening_needed(store)
    store.write_json("screening.json", {"version": 0, "answers": {}})
    assert screening_needed(store)


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    store = StateStore(tmp_path)
    store.write_json("sessions.json", {"starts": ["old"]})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.write_json("sessions.json", {"starts": ["new"]})
    monkeypatch.undo()
    assert store.read_json("sessions.json") == {"starts": ["old"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions.json"]


def test_crash_mid_write_keeps_old_file(tmp_path):
    """A real process dies (os._exit) after writing half of the new data: the old file
    is intact and valid."""
    store = StateStore(tmp_path)
    store.write_json("screening.json", {"version": SCREENING_VERSION, "status": "ok"})
    import coach

    root = os.path.dirname(os.path.dirname(os.path.abspath(coach.__file__)))
    code = f"""
import os, sys
sys.path.insert(0, {root!r})
from coach.session import store
real_fdopen = os.fdopen
class Dying:
    def __init__(self, f): self.f = f
    def __enter__(self): return self
    def __exit__(self, *a): return False
    def write(self, data):
        self.f.write(data[: len(data) // 2]); self.f.flush()
        os._exit(3)  # crash in the middle of writing
def fake_fdopen(fd, mode): return Dying(real_fdopen(fd, mode))
os.fdopen = fake_fdopen
store.StateStore({str(tmp_path)!r}).write_json("screening.json", {{"version": {SCREENING_VERSION}, "status": "blocked", "pad": "x" * 5000}})
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 3, proc.stderr.decode()
    assert json.loads((tmp_path / "screening.json").read_text()) == {"status": "ok", "version": SCREENING_VERSION}
    # the half-written temp file is left behind but never read as state
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "screening.json"]
    assert all(name.startswith(".screening.json.") and name.endswith(".tmp") for name in leftovers)
    assert load_screening(store)["status"] == "ok"


def test_atomic_write_replaces_content(tmp_path):
    p = tmp_path / "f.json"
    atomic_write(p, b"one")
    atomic_write(p, b"two")
    assert p.read_bytes() == b"two"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_damaged_file_gives_coach_error(tmp_path):
    (tmp_path / "sessions.json").write_text("{not json")
    with pytest.raises(CoachError, match="damaged"):
        StateStore(tmp_path).read_json("sessions.json")


def test_safety_module_has_no_network():
    import coach.session.safety as s

    src = open(s.__file__, encoding="utf-8").read()
    for word in ("socket", "urllib", "http", "requests"):
        assert word not in src
