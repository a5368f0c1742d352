"""The real photos (tests/fixtures/real_photos): the expectation checker, the poses file, the
report and `coach eval --photos`, and (e2e) that the committed poses are what the model gives.

Each check of expectations.yaml is tested with hand-made runs that pass and that fail it;
the report on the committed poses must keep at least today's score (a floor the next issue
raises)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from coach.pose import PoseFrame
from coach.spec import load_spec, spec_ids
from coach.tools import photos as ph
from coach.tools.photos import Cue, Expectation, Hold, PhaseEnd, PhotoError, Played

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "real_photos"

# Today's score, 2026-12-06 (issue 13: gates, evidence margins, start baseline, reps from
# turning points, side following; the crossed-leg knees lowered from their knees-up height,
# so a still photo of another exercise no longer starts its hold): the floor. It was 1 and
# 14 before issue 13, 22 and 22 before the crossed-leg change, 28 and 28 before someone
# lying still in a start position heard the step's instruction again rather than a form
# correction, and 30 and 30 before a face to the floor (on all fours, a child's pose) was
# not taken for lying on the back (2026-12-07). Lowering it needs a reason in the commit
# message.
FLOOR_DATE = "2026-12-07"
FLOOR_AS_EXPECTED = 32         # of 38 photos, every check on all seven exercises
FLOOR_OWN_AS_EXPECTED = 32     # of 38, the checks on the photo's own exercise
FLOOR_SAFETY_ON_OTHER = 0      # safety cues when a photo is played through an exercise it is not (was 260)


# --------------------------------------------------------------------------- hand-made runs
def run(exercise: str = "lying_twist", *, cues=(), holds=(), ends=(), reps=0, detected=True, people=1,
        overlap=False, shoulders=(600.0, 370.0), hips=(400.0, 400.0), rep_value=None) -> Played:
    return Played(exercise, detected, people, overlap,
                  cues=[c if isinstance(c, Cue) else Cue(*c) for c in cues],
                  holds=[h if isinstance(h, Hold) else Hold(*h) for h in holds],
                  phase_ends=[e if isinstance(e, PhaseEnd) else PhaseEnd(*e) for e in ends],
                  reps=reps, shoulders_px=shoulders if detected else None, hips_px=hips if detected else None,
                  rep_value=rep_value)


def runs(own: Played | None = None, **others: Played) -> dict[str, Played]:
    out = {ex: run(ex) for ex in spec_ids()}
    if own is not None:
        out[own.exercise] = own
    out.update(others)
    return out


def checks(exp: Expectation, rs: dict[str, Played], ref=None) -> list[str]:
    return [f.check for f in ph.check_photo(exp, rs, ref)]


def exp(**kw) -> Expectation:
    kw.setdefault("exercise", "lying_twist")
    return Expectation(file="x.jpg", **kw)


def test_a_quiet_run_passes_an_empty_expectation():
    assert checks(exp(), runs()) == []


def test_safety_cue_on_any_exercise_fails():
    bad = run("cat_cow", cues=[(13.0, "neck_overextended", "safety", None)])
    failures = ph.check_photo(exp(), runs(cat_cow=bad))
    assert [(f.exercise, f.check) for f in failures] == [("cat_cow", "safety")]
    # a form cue elsewhere is not a failure
    assert checks(exp(), runs(cat_cow=run("cat_cow", cues=[(13.0, "elbows_bent", "form", None)]))) == []


def test_photo_of_none_of_the_seven_no_hold_no_rep_anywhere():
    none = exp(exercise=None)
    assert checks(none, runs()) == []
    assert checks(none, runs(knee_to_chest=run("knee_to_chest", holds=[(5.0, "right", "one_knee")]))) == ["none"]
    assert checks(none, runs(cat_cow=run("cat_cow", reps=2))) == ["none"]


def test_forbidden_by_rule_or_severity_unless_fair():
    cues = [(5.0, "knee_brought_over", "form", "right")]
    assert checks(exp(forbidden=("knee_brought_over",)), runs(run(cues=cues))) == ["forbidden"]
    assert checks(exp(forbidden=("form",)), runs(run(cues=cues))) == ["forbidden"]
    assert checks(exp(forbidden=("safety",)), runs(run(cues=cues))) == []
    assert checks(exp(forbidden=("form",), fair=("knee_brought_over",)), runs(run(cues=cues))) == []
    # count cues (reminders at the end) are not corrections
    assert checks(exp(forbidden=("count",)), runs(run(cues=[(60.0, "side_skipped", "count", "left")]))) == []


def test_hold_true_false_side_and_phase():
    held = run(holds=[(4.0, "right", "twist")])
    assert checks(exp(hold=True), runs(held)) == []
    assert checks(exp(hold=True), runs()) == ["hold"]
    assert checks(exp(hold=False), runs()) == []
    assert checks(exp(hold=False), runs(held)) == ["hold"]
    assert checks(exp(hold_side="right"), runs(held)) == []
    assert checks(exp(hold_side="left"), runs(held)) == ["hold_side"]
    assert checks(exp(hold_phase="twist"), runs(held)) == []
    assert checks(exp(hold_phase="rock"), runs(held)) == ["hold_phase"]


def test_turn_every_side_specific_event_names_the_side():
    ok = run("seated_rotation", holds=[(4.0, "left", "turn")], cues=[(9.0, "slumped", "form", "left"),
                                                                     (60.0, "side_skipped", "count", "right")])
    assert checks(exp(exercise="seated_rotation", turn="left"), runs(ok)) == []
    wrong = run("seated_rotation", cues=[(9.0, "rotation_too_small", "form", "right")])
    assert checks(exp(exercise="seated_rotation", turn="left"), runs(wrong)) == ["turn"]


def test_start_recognised_or_only_fair_cues_before_the_timeout():
    assert checks(exp(start=True), runs(run(ends=[(2.0, "start", "setup", False)]))) == []
    timed_out = [(10.0, "start", "setup", True)]
    assert checks(exp(start=True), runs(run(ends=timed_out))) == []            # nothing said: not wrong
    fair_only = run(ends=timed_out, cues=[(3.0, "arms_not_t", "setup", None)])
    assert checks(exp(start=True, fair=("arms_not_t",)), runs(fair_only)) == []
    assert checks(exp(start=True), runs(fair_only)) == ["start"]
    cant_see = run(ends=timed_out, cues=[Cue(3.0, "body_in_view", "setup", None, "cant_see")])
    assert checks(exp(start=True), runs(cant_see)) == ["start"]
    later = run(ends=timed_out, cues=[(12.0, "knee_brought_over", "form", "right")])   # after the set-up ended
    assert checks(exp(start=True), runs(later)) == []
    assert checks(exp(start=True), runs(run(ends=[]))) == ["start"]             # the set-up never ended


def test_required_cue_and_no_reps():
    assert checks(exp(exercise="passive_hang", required=("elbows_bent",)),
                  runs(run("passive_hang", cues=[(5.0, "elbows_bent", "form", None)]))) == []
    assert checks(exp(exercise="passive_hang", required=("elbows_bent",)), runs()) == ["required"]
    assert checks(exp(exercise="cat_cow", reps=0), runs()) == []
    assert checks(exp(exercise="cat_cow", reps=0), runs(run("cat_cow", reps=1))) == ["reps"]


def test_camera_ask_or_quiet():
    e = exp(exercise="chair_extension", camera="ask_or_quiet")
    judged = (9.0, "lumbar_arching", "form", None)
    assert checks(e, runs(run("chair_extension", cues=[(3.0, "hands_not_behind_head", "setup", None)]))) == []
    assert checks(e, runs(run("chair_extension", cues=[judged]))) == ["camera"]
    asked = run("chair_extension", cues=[(2.0, "camera_view", "setup", None), judged])
    assert checks(e, runs(asked)) == []


PEOPLE = {"subject": {"shoulders": (610.0, 375.0), "hips": (400.0, 400.0)},
          "other": {"shoulders": (470.0, 160.0), "hips": (330.0, 270.0)}}


def test_people_coach_the_subject_or_say_so_and_coach_nobody():
    e = exp(people=PEOPLE)
    subject = run(shoulders=(600.0, 380.0), hips=(420.0, 390.0), holds=[(4.0, "right", "twist")])
    assert checks(e, runs(subject)) == []
    helper = run(shoulders=(462.0, 155.0), hips=(348.0, 255.0))
    assert checks(e, runs(helper)) == ["people"]
    just_outside = run(shoulders=(610.0 + 91.0, 375.0), hips=(400.0, 400.0))
    assert checks(e, runs(just_outside)) == ["people"]
    said = [Cue(3.0, "two_people", "setup", None, "cant_see")]
    assert checks(e, runs(run(shoulders=(462.0, 155.0), hips=(348.0, 255.0), cues=said))) == []
    said_but_coached = run(shoulders=(462.0, 155.0), hips=(348.0, 255.0),
                           cues=said + [Cue(9.0, "arms_not_t", "setup", None)])
    assert checks(e, runs(said_but_coached)) == ["people"]
    nobody = run(detected=False, cues=[Cue(1.0, None, None, None, "cant_see")])
    assert checks(e, runs(nobody)) == []


def test_skeleton_owner():
    assert ph.skeleton_owner(run(shoulders=(600.0, 380.0), hips=(420.0, 390.0)), PEOPLE) == "subject"
    assert ph.skeleton_owner(run(shoulders=(462.0, 155.0), hips=(348.0, 255.0)), PEOPLE) == "other"
    assert ph.skeleton_owner(run(shoulders=(462.0, 155.0), hips=(400.0, 400.0)), PEOPLE) == "mixed"
    assert ph.skeleton_owner(run(detected=False), PEOPLE) == "none"


def test_cat_from_the_rep_measure_moves_toward_the_cat_end():
    e = exp(exercise="cat_cow", cat_from="start.jpg")
    ref = runs(run("cat_cow", rep_value=-5.0))
    assert checks(e, runs(run("cat_cow", rep_value=-30.0)), ref) == []
    assert checks(e, runs(run("cat_cow", rep_value=10.0)), ref) == ["cat_from"]
    assert checks(e, runs(run("cat_cow", rep_value=None)), ref) == ["cat_from"]


# --------------------------------------------------------------------------- the expectations file
def test_the_fixture_expectations_load():
    loaded = ph.load_expectations(FIXTURE / ph.EXPECTATIONS)
    assert len(loaded) == 38 and set(loaded) == {p.name for p in FIXTURE.glob("*.jpg")}
    assert loaded["Lying_Crossover_0.jpg"].people["subject"]["shoulders"] == (610.0, 375.0)
    assert loaded["Rear_Leg_Raises_1.jpg"].exercise is None


@pytest.mark.parametrize("photo, message", [
    ({"exercise": "lying_twist", "holds": True}, "unknown check 'holds'"),
    ({"exercise": "lying_twst"}, "exercise: expecting one of"),
    ({"exercise": "passive_hang", "fair": ["shoulders_shrugged"]}, "'shoulders_shrugged' is not a rule of passive_hang"),
    ({"exercise": "lying_twist", "forbidden": ["severe"]}, "nor a severity"),
    ({"exercise": "lying_twist", "hold_side": "up"}, "hold_side: expecting left or right"),
    ({"exercise": "lying_twist", "hold_phase": "start"}, "is not a hold of lying_twist"),
    ({"exercise": "none", "hold": False}, "has no other checks"),
    ({"exercise": "cat_cow", "cat_from": "missing.jpg"}, "cat_from"),
    ({"exercise": "lying_twist", "people": {"subject": {"shoulders": [1, 2]}}}, "people"),
])
def test_mistakes_in_the_expectations_are_named(photo, message):
    with pytest.raises(PhotoError, match=message) as info:
        ph.parse_expectations({"photos": {"a.jpg": photo}}, "exp.yaml")
    assert str(info.value).startswith("exp.yaml: photos.a.jpg")


# --------------------------------------------------------------------------- poses file and playing
def test_poses_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    lm = rng.random((33, 5))
    a = PoseFrame(0.0, lm, rng.random((33, 3)), (850, 567), people=2, people_overlap=True)
    empty = PoseFrame.empty(0.0, (500, 750))
    poses = {("a.jpg", "lying_twist"): a, ("a.jpg", "cat_cow"): a, ("b.jpg", "lying_twist"): empty}
    path = ph.save_poses(tmp_path / "p.npz", poses, {"model": "m"})
    back, meta = ph.load_poses(path)
    assert meta["model"] == "m" and meta["format"] == ph.POSES_FORMAT and meta["copies"] == ph.COPIES
    assert set(back) == set(poses)
    assert np.allclose(back[("a.jpg", "cat_cow")].landmarks, lm, atol=1e-6)
    assert back[("a.jpg", "lying_twist")].people == 2 and back[("a.jpg", "lying_twist")].people_overlap
    assert not back[("b.jpg", "lying_twist")].detected and back[("b.jpg", "lying_twist")].image_wh == (500, 750)
    with np.load(path) as z:
        assert len(z["landmarks"]) == 2     # the same pose twice is stored once


def test_poses_missing_file_says_how_to_make_it(tmp_path):
    with pytest.raises(Exception, match="record_photo_poses"):
        ph.load_poses(tmp_path / "none.npz")


@pytest.fixture(scope="module")
def committed_poses():
    return ph.load_poses(FIXTURE / ph.POSES)


def test_play_a_still_photo(committed_poses):
    poses, meta = committed_poses
    assert meta["copies"] == 5 and len(poses) == 38 * 7
    played = ph.play(poses[("Hug_Knees_To_Chest_1.jpg", "knee_to_chest")], load_spec("knee_to_chest"))
    assert played.detected and played.people == 1
    assert [h.phase for h in played.holds] == ["rock"]          # both knees in: the rocking step
    assert played.phase_ends[0].phase == "start" and not played.phase_ends[0].timed_out


# --------------------------------------------------------------------------- the report, in CI
@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """`coach eval --photos` on the fixture, once for the tests below: (printed, JSON)."""
    import contextlib
    import io

    from coach.cli import main

    out = tmp_path_factory.mktemp("photos") / "report.json"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["eval", "--photos", str(FIXTURE), "--json", str(out)])
    assert code == 0
    return buf.getvalue(), json.loads(out.read_text(encoding="utf-8"))


def test_report_rows_and_totals(report):
    printed, data = report
    lines = printed.splitlines()
    assert lines[0].startswith("photo") and "verdict" in lines[0]
    rows = [ln for ln in lines[1:39]]
    assert [r.split()[0] for r in rows] == list(ph.load_expectations(FIXTURE / ph.EXPECTATIONS))
    assert f"{data['as_expected']} of 38 photos as expected" in printed
    assert data["photos"] == 38 and len(data["results"]) == 38
    assert all(set(r["runs"]) == set(spec_ids()) for r in data["results"])


def test_report_score_does_not_drop_below_todays(report):
    _, data = report
    assert data["as_expected"] >= FLOOR_AS_EXPECTED, f"floor of {FLOOR_DATE}"
    assert data["own_as_expected"] >= FLOOR_OWN_AS_EXPECTED, f"floor of {FLOOR_DATE}"
    assert sum(data["safety_on_other_exercises"].values()) <= FLOOR_SAFETY_ON_OTHER, data["safety_on_other_exercises"]


def test_report_says_which_photos_have_two_people(report):
    printed, data = report
    assert set(data["two_people"]) == {"Lying_Crossover_0.jpg", "Lying_Crossover_1.jpg"}
    for name in data["two_people"]:
        row = next(r for r in data["results"] if r["file"] == name)
        own = row["runs"]["lying_twist"]
        assert own["people"] == 2 and own["people_overlap"], own       # the estimator saw both
        assert f"two people in {name}: people seen 2" in printed


def test_eval_photos_on_a_folder_of_two(tmp_path, capsys):
    """The CLI on a small folder: its own expectations, the committed poses."""
    from coach.cli import main

    shutil.copy(FIXTURE / ph.POSES, tmp_path / ph.POSES)
    (tmp_path / ph.EXPECTATIONS).write_text(
        "photos:\n  Windmills_0.jpg: {exercise: lying_twist, start: true}\n"
        "  Childs_Pose_0.jpg: {exercise: none}\n", encoding="utf-8")
    assert main(["eval", "--photos", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "of 2 photos as expected" in out
    assert out.splitlines()[1].startswith("Windmills_0.jpg") and out.splitlines()[2].startswith("Childs_Pose_0.jpg")


def test_eval_photos_mistakes_are_one_line(tmp_path, capsys):
    from coach.cli import main

    (tmp_path / ph.EXPECTATIONS).write_text("photos:\n  a.jpg: {exercise: lying_twist}\n", encoding="utf-8")
    code = main(["eval", "--photos", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and "record_photo_poses" in err and "Traceback" not in err
    assert main(["eval"]) != 0
    assert "--photos" in capsys.readouterr().err


# --------------------------------------------------------------------------- e2e: the poses are current
# The model runs on the same photos with the same estimator: on one machine its output is
# bit-for-bit the same; across CPUs (other SIMD kernels) the landmarks may move by ~1e-3 of
# the image. The file is current when every (photo, exercise) finds the same people, the same
# overlap flag and visible landmarks within 0.01 of the image size (MediaPipe's own builds
# differ by up to 0.007 on one photo: DESIGN.md), and the report's verdicts are unchanged.
TOLERANCE = 0.01


@pytest.mark.e2e
def test_committed_poses_are_current(committed_poses):
    poses, _ = committed_poses
    files = list(ph.load_expectations(FIXTURE / ph.EXPECTATIONS))
    fresh = ph.record_poses(FIXTURE, files)
    worst = 0.0
    for key, old in poses.items():
        new = fresh[key]
        assert (new.detected, new.people, new.people_overlap) == (old.detected, old.people, old.people_overlap), key
        if old.detected:
            seen = (old.visibility >= 0.5) | (new.visibility >= 0.5)
            worst = max(worst, float(np.abs(new.landmarks[seen, :2] - old.landmarks[seen, :2]).max()))
    assert worst <= TOLERANCE, f"landmarks moved by {worst:.4f}: re-record with scripts/record_photo_poses.py"
    before = ph.photo_report(FIXTURE, poses=poses)
    after = ph.photo_report(FIXTURE, poses=fresh)
    assert [(p.file, [str(f) for f in p.failures]) for p in after.photos] == \
        [(p.file, [str(f) for f in p.failures]) for p in before.photos]
