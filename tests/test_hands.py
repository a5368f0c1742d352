"""Answering the symptom question with a raised hand: hand-made PoseFrames of a person
standing and lying (2 s up = yes, 1.5 s = not yet, a hand at the chest = no, a hang from a
bar is not a yes), no false yes on any sample recording, and the real session controller
on a real landmark recording (lying twist) with the hand raised after the question."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coach.pose import N_LANDMARKS, PoseFrame
from coach.pose import Landmark as L
from coach.session.controller import SessionConfig, SessionController, SessionError
from coach.session.hands import HandRaise, HandRaiseConfig, hand_position
from tests.conftest import SAMPLES
from needs import committed

W, H = 640, 480


def body(points: dict[L, tuple[float, float]], t_ms: float = 0.0, hidden=()) -> PoseFrame:
    """A PoseFrame from normalised (x, y) of the named landmarks; every other landmark at
    the middle of its body part (they are not read)."""
    lm = np.zeros((N_LANDMARKS, 5))
    lm[:, 3:] = 1.0
    lm[:, :2] = 0.5
    for name, (x, y) in points.items():
        lm[int(name), :2] = (x, y)
    for name in hidden:
        lm[int(name), 3] = 0.1
    return PoseFrame(timestamp_ms=t_ms, landmarks=lm, image_wh=(W, H))


def standing(wrist_y: float = 0.55, other_wrist_y: float = 0.55, t_ms: float = 0.0) -> PoseFrame:
    """Facing the camera: head at y 0.2, shoulders 0.3, hips 0.55 (torso 120 px)."""
    return body({L.NOSE: (0.5, 0.2), L.LEFT_EAR: (0.53, 0.19), L.RIGHT_EAR: (0.47, 0.19),
                 L.LEFT_SHOULDER: (0.56, 0.3), L.RIGHT_SHOULDER: (0.44, 0.3),
                 L.LEFT_HIP: (0.54, 0.55), L.RIGHT_HIP: (0.46, 0.55),
                 L.LEFT_KNEE: (0.54, 0.75), L.RIGHT_KNEE: (0.46, 0.75),
                 L.LEFT_WRIST: (0.6, other_wrist_y), L.RIGHT_WRIST: (0.4, wrist_y)}, t_ms)


# lying on the back, seen from the side: head left, feet right, floor at y 0.8;
# the torso is 0.2 of the width = 128 px, so 0.5 torso lengths are 64 px = 0.133 of the height
LYING = {L.NOSE: (0.2, 0.74), L.LEFT_EAR: (0.22, 0.76), L.RIGHT_EAR: (0.22, 0.76),
         L.LEFT_SHOULDER: (0.3, 0.78), L.RIGHT_SHOULDER: (0.3, 0.78),
         L.LEFT_HIP: (0.5, 0.78), L.RIGHT_HIP: (0.5, 0.78),
         L.LEFT_KNEE: (0.7, 0.78), L.RIGHT_KNEE: (0.7, 0.78),
         L.LEFT_WRIST: (0.42, 0.79), L.RIGHT_WRIST: (0.42, 0.79)}


def lying(right_wrist: tuple[float, float] | None = None, t_ms: float = 0.0, **over) -> PoseFrame:
    pts = dict(LYING)
    if right_wrist is not None:
        pts[L.RIGHT_WRIST] = right_wrist
    pts.update({L[k.upper()]: v for k, v in over.items()})
    return body(pts, t_ms)


ARM_UP = (0.3, 0.78 - 0.6 * 128 / 480 * 1.8)       # straight up from the shoulder: ~0.9 torso above the nose
HAND_ON_CHEST = (0.36, 0.70)                         # 0.075 torso lengths above the nose
HUGGING_KNEE = (0.62, 0.52)                          # high, but next to the knee pulled to the chest


def run(detector: HandRaise, frames) -> list[float]:
    """Timestamps (s) at which the detector said yes."""
    return [f.timestamp_ms / 1000.0 for f in frames if detector.update(f)]


def frames(make, t0_s: float, t1_s: float, fps: float = 10.0):
    n = int(round((t1_s - t0_s) * fps))
    for i in range(n):
        t = (t0_s + i / fps) * 1000.0
        yield dataclasses.replace(make(), timestamp_ms=t)


# --------------------------------------------------------------------------- one frame
def test_positions_standing():
    assert hand_position(standing()) == "lowered"
    assert hand_position(standing(wrist_y=0.05)) == "raised"      # 0.14 of 480 = 67 px = 0.56 torso above the ears
    assert hand_position(standing(wrist_y=0.11)) == "between"     # 0.32 torso above: neither up nor down
    assert hand_position(standing(wrist_y=0.16)) == "lowered"     # 0.12 torso above the ears: on the head
    assert hand_position(standing(wrist_y=0.35)) == "lowered"     # a hand at the chest
    assert hand_position(standing(other_wrist_y=0.02)) == "raised"  # either hand


def test_positions_lying():
    assert hand_position(lying()) == "lowered"
    assert hand_position(lying(ARM_UP)) == "raised"
    assert hand_position(lying(HAND_ON_CHEST)) == "lowered"
    assert hand_position(lying(HUGGING_KNEE, left_knee=(0.6, 0.5), right_knee=(0.6, 0.5))) == "lowered"


def test_no_person_or_no_hand_in_view_is_unknown():
    assert hand_position(PoseFrame(timestamp_ms=0.0, image_wh=(W, H))) is None
    assert hand_position(body(LYING | {L.RIGHT_WRIST: ARM_UP}, hidden=(L.LEFT_WRIST, L.RIGHT_WRIST))) is None


def test_a_hidden_wrist_is_not_read():
    hidden_up = body(LYING | {L.RIGHT_WRIST: ARM_UP}, hidden=(L.RIGHT_WRIST,))
    assert hand_position(hidden_up) == "lowered"  # only the left hand is seen, and it is down


# --------------------------------------------------------------------------- over time
def test_a_hand_up_for_2_s_is_yes():
    d = HandRaise()
    said = run(d, frames(lying, 0.0, 1.0)) + run(d, frames(lambda: lying(ARM_UP), 1.0, 4.0))
    assert said == [pytest.approx(3.0)]  # raised at 1.0 s, yes at 3.0 s, once


def test_a_hand_up_for_1_5_s_is_not_yet():
    d = HandRaise()
    said = run(d, frames(lying, 0.0, 1.0)) + run(d, frames(lambda: lying(ARM_UP), 1.0, 2.6))
    assert said == [] and d.held_s == pytest.approx(1.5)
    said = run(d, frames(lying, 2.6, 4.0)) + run(d, frames(lambda: lying(ARM_UP), 4.0, 5.6))
    assert said == []  # put down and up again: the clock starts again


def test_a_hand_at_the_chest_is_no():
    d = HandRaise()
    assert run(d, frames(lambda: lying(HAND_ON_CHEST), 0.0, 10.0)) == []
    assert run(d, frames(lambda: standing(wrist_y=0.35), 10.0, 20.0)) == []


def test_a_flicker_of_the_wrist_does_not_restart_the_clock():
    d = HandRaise()
    run(d, frames(lying, 0.0, 1.0))
    run(d, frames(lambda: lying(ARM_UP), 1.0, 2.0))
    run(d, frames(lambda: body(LYING, hidden=(L.LEFT_WRIST, L.RIGHT_WRIST)), 2.0, 2.2))  # 0.2 s unseen
    assert run(d, frames(lambda: lying(ARM_UP), 2.2, 3.5)) == [pytest.approx(3.0)]


def test_hands_already_up_when_asked_count_only_after_they_came_down():
    """Still hanging from the bar when the question comes: not a yes."""
    d = HandRaise()
    hanging = lambda: standing(wrist_y=0.02, other_wrist_y=0.02)  # noqa: E731
    assert run(d, frames(hanging, 0.0, 10.0)) == []
    assert run(d, frames(standing, 10.0, 11.0)) == []
    assert run(d, frames(lambda: standing(wrist_y=0.02), 11.0, 13.5)) == [pytest.approx(13.0)]


def test_reset_asks_again():
    d = HandRaise()
    run(d, frames(lying, 0.0, 1.0))
    assert run(d, frames(lambda: lying(ARM_UP), 1.0, 3.5)) == [pytest.approx(3.0)]
    assert run(d, frames(lambda: lying(ARM_UP), 3.5, 6.0)) == []  # answered once
    d.reset()
    assert run(d, frames(lambda: lying(ARM_UP), 6.0, 9.0)) == []  # not armed: first down
    assert run(d, frames(lying, 9.0, 9.5)) + run(d, frames(lambda: lying(ARM_UP), 9.5, 12.0)) == [pytest.approx(11.5)]


def test_config_is_checked():
    with pytest.raises(Exception, match="hold_s"):
        HandRaiseConfig(hold_s=0.0)
    with pytest.raises(Exception, match="lowered_torso"):
        HandRaiseConfig(lowered_torso=0.6, above_head_torso=0.5)
    with pytest.raises(SessionError, match="hand_answer_s"):
        SessionConfig(hand_answer_s=0.1)
    with pytest.raises(SessionError, match="longer than"):
        SessionConfig(hand_answer_s=2.0, symptom_timeout_s=2.0)


# --------------------------------------------------------------------------- the sample recordings
RECORDINGS = sorted(SAMPLES.glob("*/*.landmarks.npz"))


def test_no_false_yes_on_any_sample_recording():
    """Asked at the first frame of every clip (all seven exercises, good form and every
    mistake): nobody raises a hand in them, so there must be no yes — hands hugging the
    knees, arms on the floor far from the camera and hanging from a bar included."""
    assert RECORDINGS, "samples/*/*.landmarks.npz are missing: they are committed (git checkout -- samples), " \
        "or record them with `python scripts/record_samples.py`"
    from coach.vision.recording import RecordingSource

    fired = {}
    for path in RECORDINGS:
        d = HandRaise()
        said = run(d, RecordingSource(path).clip)
        if said:
            fired[f"{path.parent.name}/{path.name}"] = said[0]
    assert fired == {}


# --------------------------------------------------------------------------- the session controller
def raise_hand_from(clip, t_from_ms: float):
    """The clip with the right wrist (and hand) lifted 0.9 torso lengths above the head from
    ``t_from_ms`` on: a person lying on their back lifting an arm toward the ceiling."""
    lm = clip.landmarks.copy()
    w, h = clip.image_wh
    xy = clip.xy_px
    torso = np.linalg.norm((xy[:, 11] + xy[:, 12]) / 2 - (xy[:, 23] + xy[:, 24]) / 2, axis=1)
    top = np.nanmin(lm[:, [L.NOSE, L.LEFT_EAR, L.RIGHT_EAR], 1], axis=1)
    sel = clip.timestamps_ms >= t_from_ms
    for i in (L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB):
        lm[sel, i, 0] = (xy[sel, L.RIGHT_SHOULDER, 0]) / w
        lm[sel, i, 1] = top[sel] - 0.9 * torso[sel] / h
        lm[sel, i, 3] = 0.95
    return dataclasses.replace(clip, landmarks=lm)


def session_on(clip, config: SessionConfig):
    """The real session controller (real lying_twist spec and measures) on a landmark
    recording through the real pipeline (smoother included); S pressed at 8 s."""
    from coach.pipeline.loop import run as run_pipeline
    from coach.session.keys import ScriptedKeys
    from coach.spec import load_spec
    from coach.vision.smoothing import PoseSmoother

    c = SessionController([load_spec("lying_twist"), load_spec("cat_cow")], "nb", config=config)
    events = []
    run_pipeline(iter(clip), smoother=PoseSmoother(None), engine=c, sinks=[ScriptedKeys(c.press, [(8.0, "s")])],
                 on_event=events.append, should_stop=lambda: c.done)
    return c, events


def test_session_raised_hand_after_the_question_ends_the_session_like_a_typed_yes():
    committed(SAMPLES / "lying_twist" / "good.landmarks.npz")
    from coach.vision.recording import RecordingSource

    clip = RecordingSource(SAMPLES / "lying_twist" / "good.landmarks.npz").clip
    t0 = float(clip.timestamps_ms[0])
    config = SessionConfig(intro_s=1.0, framing_s=0.5, symptom_timeout_s=15.0)
    c, events = session_on(raise_hand_from(clip, t0 + 10000.0), config)
    assert c.done and c.ended_by == "symptoms"
    ex = c.record["exercises"]
    assert [e["status"] for e in ex] == ["skipped", "not_reached"]
    assert ex[0]["symptoms"]["answer"] is True and ex[0]["symptoms"]["how"] == "hand"
    # raised at 10 s, 2 s up (plus the smoother's short lag)
    assert 12.0 <= ex[0]["symptoms"]["t_s"] <= 12.6, ex[0]["symptoms"]
    question = next(e for e in events if e.kind == "symptoms" and e.data.get("state") == "question")
    assert "løft en hånd" in question.text["nb"] and "raise a hand" in question.text["en"]
    seen = [e for e in events if e.kind == "symptoms" and e.data.get("state") == "hand_seen"]
    assert len(seen) == 1 and seen[0].data["chime"] == "start" and seen[0].timestamp_ms < c._t  # heard at once
    yes = next(e for e in events if e.kind == "symptoms" and e.data.get("state") == "yes")
    assert yes.severity == "safety" and "hånden" in yes.text["nb"] and "stopper vi økten" in yes.text["nb"]
    end = next(e for e in events if e.kind == "session" and e.data.get("state") == "end")
    assert end.data["ended_by"] == "symptoms"


def test_session_without_a_raised_hand_times_out_as_before():
    committed(SAMPLES / "lying_twist" / "good.landmarks.npz")
    from coach.vision.recording import RecordingSource

    clip = RecordingSource(SAMPLES / "lying_twist" / "good.landmarks.npz").clip
    config = SessionConfig(intro_s=1.0, framing_s=0.5, symptom_timeout_s=5.0)
    c, _events = session_on(clip, config)
    ex = c.record["exercises"]
    assert ex[0]["symptoms"]["answer"] is None and ex[0]["symptoms"]["how"] == "timeout"
    assert c.spec.id == "cat_cow"  # went on to the next exercise


def test_hand_answers_can_be_turned_off():
    c = SessionController([_spec()], "en", config=SessionConfig(hand_answer_s=None))
    assert c.hand is None
    assert "raise" not in c.answer_hint()["en"] and "N" in c.answer_hint()["en"]


def _spec():
    from coach.spec import load_spec

    return load_spec("lying_twist")


def test_a_hand_going_up_as_the_time_runs_out_still_counts():
    from tests.test_session import CONFIG, factory, load

    c = SessionController([load("ex1"), load("ex2")], "en", measure_factory=factory, config=CONFIG)
    t = 0.0
    for _ in range(160):  # through the first exercise (the test_session stand-in: held 10 s, then released)
        c.update(dataclasses.replace(_signal_frame(60.0 if t < 14000 else 0.0), timestamp_ms=t))
        t += 100.0
    assert c.stage == "symptoms"
    asked = t
    for f in frames(lying, asked / 1000, asked / 1000 + 3.5):
        c.update(f)  # hands down for 3.5 s of the 5 s
    for f in frames(lambda: lying(ARM_UP), asked / 1000 + 3.5, asked / 1000 + 6.0):
        c.update(f)  # up at 3.5 s: still up when the 5 s are over, yes at 5.5 s
    assert c.done and c.ended_by == "symptoms"
    assert c.record["exercises"][0]["symptoms"]["how"] == "hand"


def _signal_frame(pos: float) -> PoseFrame:
    from tests.test_session import frame

    return frame(0.0, pos=pos)

