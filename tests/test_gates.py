"""The gates (coach.engine.gates): a skeleton the coach cannot judge is not coached.

Synthetic skeletons from tests/skeletons.py, 10 fps. Every "not coached" test also runs the
same frames with the gate open (the spec's views or posture cleared), so it fails if the
frames would not have been coached wrongly in the first place.
"""

import dataclasses

import pytest

from coach.engine import ExerciseEngine
from coach.engine.gates import CAMERA_RULE, POSTURE_RULE, TWO_PEOPLE_RULE, Gates, clearly_out
from coach.engine.texts import ENGINE_TEXT
from coach.measures.body import posture_fit
from coach.pose import PoseFrame
from coach.spec import load_spec
from tests.skeletons import frame_for

CORRECTIONS = ("safety", "form", "pace", "count")


def play(spec, frames):
    engine = ExerciseEngine(spec, "en")
    events = []
    last = 0.0
    for f in frames:
        events += engine.update(f)
        last = f.timestamp_ms
    events += engine.finish(last + 100.0)
    return engine, events


def frames(name, n=300, view="side", azimuth_deg=0.0, t0=0.0, **kw):
    return [frame_for(name, view=view, azimuth_deg=azimuth_deg, timestamp_ms=t0 + i * 100.0, **kw) for i in range(n)]


def cues(events, severities=CORRECTIONS):
    return [e for e in events if e.kind == "cue" and e.severity in severities]


def camera_states(events):
    return [e.data["state"] for e in events if e.kind == "camera"]


# --------------------------------------------------------------------------- the camera

def test_side_exercise_from_the_feet_end_asks_to_move_the_camera_and_gives_no_safety_cue():
    spec = load_spec("crossed_leg_rotation")
    seen = frames("lying", view="front")            # the feet end faces the camera
    _, open_events = play(dataclasses.replace(spec, camera_views=()), seen)
    # (since the evidence margins the ungated coach no longer gives a safety cue here, but it
    # still corrects the form of a body it cannot judge from this view)
    assert cues(open_events), "the ungated coach must get this wrong"
    engine, events = play(spec, seen)
    assert cues(events) == []
    said = cues(events, ("setup",))
    assert said and all(e.rule_id == CAMERA_RULE for e in said)
    assert said[0].text == ENGINE_TEXT["camera_move_to_side"]
    assert camera_states(events) == ["unsupported"]
    cam = next(e for e in events if e.kind == "camera")
    assert cam.data["view"] == "front" and cam.data["azimuth_deg"] < 30
    assert not any(e.kind in ("hold", "rep") for e in events)
    assert all(v == 0.0 for h in engine.summary()["holds_s"].values() for v in h.values())


@pytest.mark.parametrize("ex, posture", [("cat_cow", "all_fours"), ("chair_extension", "seated"),
                                         ("lying_twist", "lying"), ("knee_to_chest", "lying")])
def test_side_exercises_from_the_front_are_not_judged(ex, posture):
    _, events = play(load_spec(ex), frames(posture, view="front"))
    assert cues(events) == []
    assert {e.rule_id for e in cues(events, ("setup",))} == {CAMERA_RULE}
    assert camera_states(events) == ["unsupported"]


def test_front_exercise_from_the_side_asks_to_face_the_camera():
    spec = load_spec("passive_hang")
    seen = frames("hanging", view="side")
    _, open_events = play(dataclasses.replace(spec, camera_views=()), seen)
    assert cues(open_events), "the ungated coach corrects this body"
    _, events = play(spec, seen)
    assert cues(events) == []
    said = cues(events, ("setup",))
    assert said and said[0].text == ENGINE_TEXT["camera_move_in_front"]


def test_from_the_side_the_side_exercise_coaches_as_before():
    spec = load_spec("crossed_leg_rotation")
    seen = frames("lying", view="side")
    _, gated = play(spec, seen)
    _, ungated = play(dataclasses.replace(spec, camera_views=()), seen)
    strip = [(e.kind, e.rule_id, e.timestamp_ms) for e in gated if e.kind != "camera"]
    assert strip == [(e.kind, e.rule_id, e.timestamp_ms) for e in ungated]
    assert camera_states(gated) == ["ok"]
    assert not any(e.rule_id == CAMERA_RULE for e in gated)


def test_moving_the_camera_during_setup_lets_the_coaching_start():
    spec = load_spec("crossed_leg_rotation")
    seen = frames("lying", 100, view="front") + frames("lying", 200, view="side", t0=10_000)
    _, events = play(spec, seen)
    assert camera_states(events) == ["unsupported", "ok"]
    assert not any(e.severity == "safety" for e in cues(events))
    assert any(e.kind == "phase" and e.data.get("state") == "end" for e in events), "the set-up went on"


def test_the_view_is_estimated_in_the_start_position_only():
    """Mid-hold or mid-rep the body turns (a seated rotation turns the shoulder line by 45
    deg): those frames do not move the verdict; the set-up's and rests' frames do."""
    gates = Gates(load_spec("chair_extension"))
    side = frames("seated", 40, view="side")
    front = frames("seated", 60, view="side", azimuth_deg=85, t0=4_000)
    again = frames("seated", 60, view="side", azimuth_deg=85, t0=10_000)
    said = [d.camera for d in (gates.update(f) for f in side) if d.camera]
    assert [c["state"] for c in said] == ["ok"]
    assert all(gates.update(f, start_position=False).coach for f in front)
    said = [d.camera for d in (gates.update(f, start_position=True) for f in again) if d.camera]
    assert [c["state"] for c in said] == ["unsupported"]


def test_borderline_view_does_not_flicker():
    """Azimuth readings around the bound (43 deg off side-on: folded 47) do not flip the
    verdict; a camera really moved does, once."""
    spec = load_spec("chair_extension")       # side, views [side, oblique], max_off_deg 43
    gates = Gates(spec)
    t = 0.0
    states = []

    def feed(turn_deg, n):
        nonlocal t
        for _ in range(n):
            g = gates.update(frame_for("seated", view="side", azimuth_deg=turn_deg, timestamp_ms=t))
            t += 100.0
            if g.camera is not None:
                states.append((g.camera["state"], g.camera["view"]))

    feed(0, 30)                                  # side-on: folded azimuth 90
    feed(38, 30)                                 # oblique (52)
    for _ in range(10):                          # 50 / 44 deg: around the bound
        feed(40, 3)
        feed(46, 3)
    assert states == [("ok", "side")]
    feed(80, 40)                                 # 10 deg: clearly the front
    assert states == [("ok", "side"), ("unsupported", "front")]
    for _ in range(10):                          # back around the bound: stays unsupported
        feed(46, 3)
        feed(40, 3)
    assert states == [("ok", "side"), ("unsupported", "front")]
    feed(28, 40)                                 # 62: well inside the bound again (the class,
    assert states[-1] == ("ok", "oblique") and len(states) == 3   # from the front, with its hysteresis: oblique)


def test_oblique_past_the_bound_is_refused_and_the_person_asked_to_move_the_camera():
    """The side specs list ``oblique`` beside their view for the estimate's error only: an
    estimate in the oblique class but more than ``max_off_deg`` from the spec's view is
    refused (a knee-to-chest filmed 11 deg from the body's end read 41-44 deg and was
    coached), one inside it is coached. Without the bound the same frames are coached. A
    front spec given a bound asks to face the camera."""
    knee = load_spec("knee_to_chest")
    hang = load_spec("passive_hang")
    assert knee.camera_max_off_deg == 38.0 and hang.camera_max_off_deg is None
    for spec, posture, view, move in ((knee, "lying", "side", "camera_move_to_side"),
                                      (dataclasses.replace(hang, camera_max_off_deg=43.0), "hanging", "front",
                                       "camera_move_in_front")):
        # 48 deg off the spec's view: the oblique class, past the bound
        far = frames(posture, 60, view=view, azimuth_deg=48)
        _, events = play(spec, far)
        assert camera_states(events) == ["unsupported"], spec.id
        assert cues(events) == [], spec.id
        said = cues(events, ("setup",))
        assert said and said[0].text == ENGINE_TEXT[move], spec.id
        _, unbounded = play(dataclasses.replace(spec, camera_max_off_deg=None), far)
        assert camera_states(unbounded) == ["ok"], spec.id
        # 33 deg off: oblique too, inside the bound
        _, near = play(spec, frames(posture, 60, view=view, azimuth_deg=33))
        assert camera_states(near) == ["ok"], spec.id


def test_a_body_on_the_floor_has_a_tighter_camera_bound_than_a_seated_one():
    """Filmed from the side, the estimate reads a camera by a body on the floor no farther off
    than it is (corpus dev: worst +1.8 deg), and read two camera_off clips (60-84 deg off) 2-3
    deg past the seated bound of 43: on the floor the bound is 38. A seated body's camera reads
    up to 14.5 deg too far off and keeps 43. A spec's own max_off_deg still wins."""
    lying, seated = load_spec("lying_twist"), load_spec("chair_extension")
    assert lying.posture == "lying" and seated.posture == "seated"
    assert (lying.camera_max_off_deg, seated.camera_max_off_deg) == (38.0, 43.0)
    _, events = play(lying, frames("lying", 60, view="side", azimuth_deg=42))
    assert camera_states(events) == ["unsupported"]
    _, events = play(seated, frames("seated", 60, view="side", azimuth_deg=42))
    assert camera_states(events) == ["ok"]
    _, events = play(dataclasses.replace(lying, camera_max_off_deg=43.0), frames("lying", 60, view="side",
                                                                              azimuth_deg=42))
    assert camera_states(events) == ["ok"]


def test_exercising_in_front_of_a_refused_camera_does_not_clear_it():
    """A person who goes on with the exercise while the coach waits for the camera to be
    moved swings the reading (dev cat-cow from its feet end: 7-58 deg on the move): bursts
    of 2.5 s that read oblique move the 2-s median there, but they are not a moved camera.
    A camera really moved (every reading well inside the bound) is cleared within 4 s."""
    spec = load_spec("cat_cow")               # views [side, oblique]
    t = 0.0

    def feed(gates, turn_deg, n):
        nonlocal t
        out = []
        for _ in range(n):
            g = gates.update(frame_for("all_fours", view="side", azimuth_deg=turn_deg, timestamp_ms=t))
            t += 100.0
            if g.camera is not None:
                out.append((t, g.camera["state"]))
        return out

    gates = Gates(spec)
    states = feed(gates, 85, 40)               # the feet end: folded azimuth 5
    assert [s for _, s in states] == ["unsupported"]
    for _ in range(8):                         # cat-cow: 1.5 s near the front, 2.5 s oblique
        states += feed(gates, 85, 15)
        states += feed(gates, 40, 25)
    assert [s for _, s in states] == ["unsupported"], "the movement cleared the refused camera"
    assert not gates.update(frame_for("all_fours", view="side", azimuth_deg=40, timestamp_ms=t)).coach
    t0 = t
    moved = feed(gates, 28, 60)                # the camera moved: 28 deg from the side, steady
    assert [s for _, s in moved] == ["ok"] and moved[0][0] - t0 <= 4_000.0


def test_a_rule_whose_views_exclude_the_view_rests_silently():
    spec = load_spec("crossed_leg_rotation")
    seen = frames("lying", view="side")
    _, before = play(spec, seen)
    said = {e.rule_id for e in cues(before, ("form", "setup"))} - {CAMERA_RULE}
    assert said, "some rule is corrected from this view"
    rid = next(iter(sorted(said)))
    rules = dict(spec.rules)
    rules[rid] = dataclasses.replace(rules[rid], views=("oblique",))
    _, after = play(dataclasses.replace(spec, rules=rules), seen)
    assert not any(e.rule_id == rid for e in after if e.kind in ("cue", "cant_see", "fault"))


def test_views_on_a_position_rule_are_refused():
    from coach.spec import SpecError, parse_spec  # noqa: PLC0415
    import pathlib  # noqa: PLC0415

    text = pathlib.Path("exercise_specs/seated_rotation.yaml").read_text()
    text = text.replace("  rotation_too_small:\n", "  rotation_too_small:\n    views: [front]\n", 1)
    with pytest.raises(SpecError, match="views"):
        parse_spec(text, "seated_rotation.yaml")


# --------------------------------------------------------------------------- the posture

def test_out_of_posture_is_not_coached_and_hears_the_setup_instruction():
    spec = load_spec("passive_hang")
    seen = frames("standing", view="front")       # standing under the bar, arms down
    assert posture_fit(seen[0], "hanging") is False and clearly_out(seen[0], "hanging") is True
    _, open_events = play(dataclasses.replace(spec, posture=None), seen)
    assert {e.rule_id for e in cues(open_events, ("setup",))} - {POSTURE_RULE}, \
        "the ungated coach coaches a standing body as a hang (its grip)"
    engine, events = play(spec, seen)
    assert cues(events) == []
    said = cues(events, ("setup",))
    assert said and all(e.rule_id == POSTURE_RULE for e in said)
    setup = next(p for p in spec.phases if p.kind == "setup")
    assert said[0].text == dict(setup.cue)
    assert not any(e.kind in ("hold", "rep") for e in events)


def test_lying_exercise_with_the_person_sitting_up_is_not_coached():
    spec = load_spec("crossed_leg_rotation")
    _, events = play(spec, frames("seated", view="side", azimuth_deg=90))
    assert cues(events) == []
    assert {e.rule_id for e in cues(events, ("setup",))} == {POSTURE_RULE}


def test_in_posture_is_not_gated():
    for ex, posture, view in (("cat_cow", "all_fours", "side"), ("chair_extension", "seated", "side"),
                              ("seated_rotation", "seated", "front"), ("passive_hang", "hanging", "front"),
                              ("lying_twist", "lying", "side")):
        gates = Gates(load_spec(ex))
        for f in frames(posture, 40, view=view):
            g = gates.update(f)
            assert g.reason != "posture", ex


def test_a_few_odd_frames_do_not_close_the_posture_gate():
    gates = Gates(load_spec("passive_hang"))
    good = frames("hanging", 60, view="front")
    odd = frames("standing", 60, view="front")
    for i, (g, o) in enumerate(zip(good, odd)):
        d = gates.update(o if i % 3 == 0 else g)   # a third of the frames look like standing
        assert d.reason != "posture"


# --------------------------------------------------------------------------- two people

def two(frame: PoseFrame, overlap: bool = True) -> PoseFrame:
    return dataclasses.replace(frame, people=2, people_overlap=overlap)


def test_two_overlapping_people_are_not_coached():
    spec = load_spec("passive_hang")
    seen = frames("standing", view="front")       # would be corrected (see the posture test)
    _, events = play(dataclasses.replace(spec, posture=None), [two(f) for f in seen])
    assert cues(events) == []
    said = cues(events, ("setup",))
    assert said and all(e.rule_id == TWO_PEOPLE_RULE for e in said)
    assert said[0].text == ENGINE_TEXT["two_people"]


def test_two_people_apart_are_coached_as_one():
    spec = load_spec("crossed_leg_rotation")
    seen = frames("lying", view="side")
    _, one = play(spec, seen)
    _, apart = play(spec, [two(f, overlap=False) for f in seen])
    assert [(e.kind, e.rule_id) for e in one] == [(e.kind, e.rule_id) for e in apart]


def test_a_hold_does_not_run_while_two_people_overlap():
    spec = load_spec("seated_rotation")
    seen = frames("seated", view="front")
    eng_one, _ = play(spec, seen)
    eng_two, events = play(spec, [two(f) for f in seen])
    assert not any(e.kind in ("hold", "rep") for e in events)
    assert all(v == 0.0 for h in eng_two.summary()["holds_s"].values() for v in h.values())


def test_frames_with_nobody_do_not_let_a_held_setup_time_out():
    spec = load_spec("cat_cow")                   # its set-up times out after some seconds
    assert next(p for p in spec.phases if p.kind == "setup").timeout_s is not None
    seen = frames("all_fours", 400, view="front")
    seen = [PoseFrame.empty(f.timestamp_ms, f.image_wh) if i % 20 == 19 else f for i, f in enumerate(seen)]
    engine, events = play(spec, seen)
    assert not any(e.kind == "phase" and e.data.get("state") == "end" for e in events)
    assert cues(events) == [], "no 'too few reps' for reps the camera never let start"
    assert engine.step is not None and engine.step.kind == "setup"


def test_a_lying_exercise_with_the_face_to_the_floor_is_not_coached_once_the_view_is_confirmed():
    """On all fours (or in a child's pose, a real photo: the knee-to-chest hold started),
    the face is to the floor: not lying on the back ("Ligg på ryggen"). Judged once the
    camera check has confirmed a supported view (from the feet's end MediaPipe reads a face
    down for a body lying on its back; that view is refused first)."""
    spec = load_spec("knee_to_chest")
    seen = frames("all_fours", view="side")
    assert clearly_out(seen[0], "lying") is False                       # the view not confirmed yet
    assert clearly_out(seen[0], "lying", view_confirmed=True) is True
    _, open_events = play(dataclasses.replace(spec, posture=None), seen)
    assert any(e.kind == "hold" and e.data.get("state") == "started" for e in open_events), \
        "the ungated coach times a knee-to-chest hold on all fours"
    _, events = play(spec, seen)
    assert camera_states(events)[:1] == ["ok"]
    assert cues(events) == [] and not any(e.kind in ("hold", "rep") for e in events)
    said = cues(events, ("setup",))
    assert said and all(e.rule_id == POSTURE_RULE for e in said)
    # lying on the back, face up: coached
    assert clearly_out(frames("lying", 1, view="side")[0], "lying", view_confirmed=True) is False
