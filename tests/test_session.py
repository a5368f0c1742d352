"""The guided session controller on hand-made frames: intro -> framing -> coaching ->
symptom question -> next exercise; pause freezes the hold; skip; stop; a yes to the
symptom question ends the session; exclusions; the "can't see your feet" check; the
partial report after each exercise. The engine is the real one; the measure is a
stand-in that reads one landmark's x (as in test_engine.py) so each frame's value is
known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.pose import N_LANDMARKS, PoseFrame
from coach.session.controller import SessionConfig, SessionController, SessionError
from coach.session.framing import missing_parts, needed_landmarks
from coach.session.keys import normalise_key
from coach.ui.speech import VoiceAdapter, event_priority
from coach.spec import load_spec, parse_spec


class SignalMeasure:
    def __init__(self, name, spec, side):
        self.name = name
        self.unit = spec.get("unit", "deg")
        self.lm = int(spec["lm"])
        self.landmarks = (self.lm,)
        self.depends_on = ()

    def update(self, frame, values):
        return float(frame.landmarks[self.lm, 0])

    def reset(self):
        pass


def factory(name, spec, side):
    return SignalMeasure(name, spec, side)


def spec_text(ex_id: str, target_s: int = 10) -> str:
    return f"""
id: {ex_id}
names: {{nb: Øvelse {ex_id} æøå, en: Exercise {ex_id}}}
equipment: {{nb: Matte, en: A mat}}
camera: {{view: side, height: floor, placement: {{nb: Sett PC-en på gulvet, en: Put the laptop on the floor}}}}
sides: none
contraindications: []
measures:
  pos: {{type: signal, lm: 0, unit: deg}}
  form: {{type: signal, lm: 1, unit: deg}}
phases:
  - {{id: hold, kind: hold, min_s: 5, target_s: {target_s}, max_s: 40, position: [in_position], release_s: 1,
      countdown_s: [5]}}
rules:
  in_position: {{measure: pos, min_deg: 50, severity: setup, persist_s: 0.5, cue: {{nb: Inn i stillingen, en: Get into position}}}}
  form_a: {{measure: form, max_deg: 10, hysteresis_deg: 2, persist_s: 0.5, severity: form,
            cue: {{nb: Hold skuldrene nede, en: Keep your shoulders down}}}}
coaching: {{global_cooldown_s: 1, repeat_s: 4, max_repeats: 2, cant_see_s: 1}}
"""


def load(ex_id: str, target_s: int = 10):
    return parse_spec(spec_text(ex_id, target_s), f"{ex_id}.yaml", stem=ex_id, check_measures=False)


def frame(t_ms: float, pos: float = 60.0, form: float = 0.0, visible: bool = True) -> PoseFrame:
    lm = np.zeros((N_LANDMARKS, 5))
    lm[:, 0] = 0.5
    lm[:, 1] = 0.5
    lm[:, 3] = 1.0 if visible else 0.0
    lm[:, 4] = 1.0
    lm[0, 0] = pos
    lm[1, 0] = form
    return PoseFrame(timestamp_ms=t_ms, landmarks=lm, image_wh=(640, 480))


def no_person(t_ms: float) -> PoseFrame:
    return PoseFrame(timestamp_ms=t_ms, image_wh=(640, 480))


CONFIG = SessionConfig(intro_s=2.0, framing_s=0.5, symptom_timeout_s=5.0)


def controller(n: int = 2, **kw) -> SessionController:
    kw.setdefault("config", CONFIG)
    return SessionController([load(f"ex{i}") for i in range(1, n + 1)], "en", measure_factory=factory, **kw)


def feed(c: SessionController, t0: float, t1: float, dt: float = 100.0, **frame_kw) -> list:
    out = []
    t = t0
    while t < t1 - 1e-9:
        out.extend(c.update(frame(t, **frame_kw)))
        t += dt
    return out


def hold_and_release(c: SessionController, t0: float, hold_until: float, release_until: float) -> list:
    """In position until ``hold_until``, then out of it (the hold phase ends on release)."""
    return feed(c, t0, hold_until) + feed(c, hold_until, release_until, pos=0.0)


def kinds(events, kind, state=None):
    return [e for e in events if e.kind == kind and (state is None or e.data.get("state") == state)]


# --------------------------------------------------------------------------- the flow
def test_intro_then_framing_then_coaching_then_symptoms_then_next():
    c = controller()
    ev = feed(c, 0, 1900)
    assert c.stage == "intro"
    intro = kinds(ev, "intro")[0]
    assert "Exercise ex1" in intro.text["en"] and "A mat" in intro.text["en"] and "floor" in intro.text["en"]
    assert "æøå" in intro.text["nb"] and "Matte" in intro.text["nb"]
    ev = feed(c, 2000, 2600)
    assert c.stage == "coaching", c.stage  # framing: in view for 0.5 s
    assert kinds(ev, "framing", "ready") and ev[-1].kind in ("exercise", "phase", "framing")
    # hold 10 s in position: the exercise ends, the symptom question is asked
    ev = hold_and_release(c, 2600, 14000, 16000)
    assert kinds(ev, "hold", "done")
    assert c.stage == "symptoms"
    q = kinds(ev, "symptoms", "question")[0]
    assert "pain" in q.text["en"] and "smerte" in q.text["nb"]
    assert event_priority(q) == "safety"
    c.press("n")
    ev = feed(c, 16000, 16200)
    assert kinds(ev, "symptoms", "no")
    assert c.stage == "intro" and c.spec.id == "ex2"
    rec = c.record
    assert rec["exercises"][0]["status"] == "done"
    assert rec["exercises"][0]["symptoms"]["answer"] is False
    assert rec["exercises"][0]["summary"]["holds_s"]["hold"]["-"] >= 10.0 - 1e-6


def test_whole_session_without_touching_the_keyboard_completes():
    """Symptom questions left unanswered time out (recorded as no answer) so a person on
    the floor can do the whole programme hands-free."""
    c = controller(2)
    t = 0.0
    while not c.done and t < 120000:
        hold_and_release(c, t, t + 14000, t + 16000)
        t += 16000
    assert c.done and c.ended_by == "completed"
    assert [e["status"] for e in c.record["exercises"]] == ["done", "done"]
    assert all(e["symptoms"]["how"] == "timeout" and e["symptoms"]["answer"] is None for e in c.record["exercises"])


def test_symptom_yes_ends_the_session_and_writes_checkpoint():
    written = []
    c = controller(2, on_checkpoint=lambda r: written.append(r))
    hold_and_release(c, 0, 14000, 16000)
    assert c.stage == "symptoms"
    c.press("y")
    ev = feed(c, 16000, 16300)
    assert c.done and c.ended_by == "symptoms"
    assert kinds(ev, "symptoms", "yes")[0].severity == "safety"
    assert written[-1]["ended_by"] == "symptoms"
    assert [e["status"] for e in written[-1]["exercises"]] == ["done", "not_reached"]
    # after each exercise a checkpoint came before the end (partial report)
    assert any(r["ended_by"] is None and r["exercises"][0]["status"] == "done" for r in written)


def test_norwegian_j_means_yes():
    c = controller(1)
    hold_and_release(c, 0, 14000, 16000)
    c.press(ord("j"))
    feed(c, 16000, 16200)
    assert c.ended_by == "symptoms"


def test_scripted_answers_are_used_in_order():
    c = controller(2, answers=[False, True])
    t = 0.0
    while not c.done and t < 120000:
        hold_and_release(c, t, t + 14000, t + 16000)
        t += 16000
    assert c.ended_by == "symptoms"
    ex = c.record["exercises"]
    assert ex[0]["symptoms"] == {"answer": False, "how": "script", "t_s": pytest.approx(ex[0]["symptoms"]["t_s"])}
    assert ex[1]["symptoms"]["answer"] is True


def test_pause_freezes_the_hold_and_resume_continues_without_a_jump():
    c = controller(1)
    feed(c, 0, 2600)
    feed(c, 2600, 6600)  # ~4 s of hold
    held = c.engine.snapshot().hold_s
    c.press(" ")
    ev = feed(c, 6600, 16600)  # 10 s paused: would finish the hold if it ran
    assert kinds(ev, "pause", "paused") and c.paused
    assert c.engine.snapshot().hold_s == pytest.approx(held)
    c.press("p")
    ev = feed(c, 16600, 16800)
    assert kinds(ev, "pause", "resumed")
    after = c.engine.snapshot().hold_s
    assert after - held < 0.35  # two frames' worth, not the 10 s paused (nor the 1 s dt cap)
    ev = hold_and_release(c, 16800, 30000, 32000)
    done = kinds(ev, "hold", "done")
    assert done and 22000 <= done[0].timestamp_ms <= 23500  # 10 s hold + 10 s pause + start


def test_pause_also_freezes_the_intro():
    c = controller(1)
    feed(c, 0, 500)
    c.press("space")
    feed(c, 500, 10000)
    assert c.stage == "intro"
    c.press("space")
    feed(c, 10000, 11400)  # 0.5 s before the pause + 1.4 s after it < intro_s (2 s)
    assert c.stage == "intro"
    feed(c, 11400, 12000)
    assert c.stage == "framing" or c.stage == "coaching"


def test_skip_ends_the_exercise_asks_symptoms_and_moves_on():
    c = controller(2)
    feed(c, 0, 4000)
    assert c.stage == "coaching"
    c.press("s")
    ev = feed(c, 4000, 4200)
    assert kinds(ev, "skip") and kinds(ev, "exercise", "stopped")
    assert c.stage == "symptoms"
    assert c.record["exercises"][0]["status"] == "skipped"
    c.press("n")
    feed(c, 4200, 4400)
    assert c.spec.id == "ex2" and c.stage == "intro"


def test_skip_during_intro_goes_straight_to_the_next_exercise():
    c = controller(2)
    feed(c, 0, 500)
    c.press("n")  # N is "no" at the symptom question; it does not skip (one meaning per key)
    feed(c, 500, 600)
    assert c.spec.id == "ex1" and c.stage == "intro"
    c.press("s")
    feed(c, 600, 700)
    assert c.spec.id == "ex2" and c.stage == "intro"
    assert c.record["exercises"][0]["status"] == "skipped"


@pytest.mark.parametrize("key", ["q", "esc", 27, ord("Q")])
def test_stop_key_stops_at_once_in_every_stage(key):
    for until in (500, 3000, 16000):  # intro, coaching, symptoms
        c = controller(2)
        hold_and_release(c, 0, min(until, 14000), until)
        c.press(key)
        assert c.stopped  # the pipeline's should_stop sees it before the next frame
        ev = c.finish(until)
        assert c.done and c.ended_by == "stopped"
        first = c.record["exercises"][0]["status"]
        assert first == {500: "not_reached", 3000: "stopped", 16000: "done"}[until], (until, first)
        assert kinds(ev, "session", "end")[0].text["en"] == "The session has been stopped."


def test_end_of_source_finishes_the_running_exercise():
    c = controller(2)
    feed(c, 0, 5000)
    c.finish(5000)
    assert c.ended_by == "source_ended"
    assert [e["status"] for e in c.record["exercises"]] == ["stopped", "not_reached"]


def test_interrupt_marks_the_record():
    c = controller(1)
    feed(c, 0, 5000)
    c.interrupt()
    assert c.record["ended_by"] == "interrupted" and c.record["exercises"][0]["status"] == "stopped"


def test_excluded_exercise_is_announced_with_its_reason_and_skipped():
    c = controller(2, excluded={"ex1": "screening.reason.hernia"})
    ev = feed(c, 0, 200)
    ex = kinds(ev, "excluded")[0]
    assert ex.severity == "safety" and "hernia" in ex.text["en"] and "brokk" in ex.text["nb"].lower()
    assert c.spec.id == "ex2"
    assert c.record["exercises"][0]["status"] == "excluded"


def test_all_excluded_ends_at_once():
    c = controller(1, excluded={"ex1": "screening.reason.pregnancy"})
    c.update(frame(0))
    assert c.done and c.ended_by == "all_excluded"


def test_warnings_are_spoken_at_the_start():
    c = controller(1, warnings=[{"nb": "Tredje økt i dag", "en": "Third session today"}])
    ev = c.update(frame(0))
    w = kinds(ev, "warning")[0]
    assert w.text["en"] == "Third session today" and event_priority(w) == "safety"


def test_cues_and_measures_are_kept_for_the_report():
    c = controller(1)
    feed(c, 0, 2600)
    feed(c, 2600, 5000)
    feed(c, 5000, 8000, form=25.0)  # out of bounds: a form cue
    hold_and_release(c, 8000, 20000, 22000)
    ex = c.record["exercises"][0]
    assert any(cue["rule_id"] == "form_a" and cue["text"]["en"] == "Keep your shoulders down" for cue in ex["cues"])
    m = ex["measures"]["form_a"]
    assert m["max"] == 10 and m["range"] == (0.0, 25.0)
    assert 4 <= len([s for s in m["samples"] if s[1] == 25.0]) <= 16  # 5 Hz for 3 s
    assert ex["targets"]["hold"]["target_s"] == 10


# --------------------------------------------------------------------------- framing
def test_framing_names_the_missing_part_and_waits():
    spec = load_spec("lying_twist")
    need = needed_landmarks(spec)
    assert {25, 26} <= set(need) and 11 in need  # knees and shoulders are read
    lm = np.zeros((N_LANDMARKS, 5))
    lm[:, :2] = 0.5
    lm[:, 3] = 1.0
    f = PoseFrame(timestamp_ms=0, landmarks=lm, image_wh=(640, 480))
    assert missing_parts(f, need) == []
    lm2 = lm.copy()
    lm2[25:33, 1] = 1.3  # legs below the picture
    assert missing_parts(PoseFrame(timestamp_ms=0, landmarks=lm2, image_wh=(640, 480)), need)[0] in ("feet", "knees")
    assert missing_parts(PoseFrame(timestamp_ms=0, image_wh=(640, 480)), need) is None


def test_framing_cue_while_out_of_view_and_start_once_in_view():
    c = controller(1)
    feed(c, 0, 2000)
    ev = []
    for t in range(2000, 12000, 100):
        ev += c.update(frame(t, visible=False))
    cant = kinds(ev, "framing", "cant_see")
    assert c.stage == "framing"
    assert 1 <= len(cant) <= 2 and "hips" in cant[0].text["en"]  # repeated at most every 6 s
    assert "hoftene" in cant[0].text["nb"] and cant[0].data["missing"] == ["hips", "shoulders"]
    ev = []
    for t in range(12000, 13000, 100):
        ev += c.update(no_person(t))
    feed(c, 13000, 14000)
    assert c.stage == "coaching"


# --------------------------------------------------------------------------- adapters / inputs
class FakeVoice:
    def __init__(self):
        self.said, self.chimes = [], []

    def say(self, text, priority, timestamp_ms=None):
        self.said.append((priority, text))
        return True

    def chime(self, kind):
        self.chimes.append(kind)
        return True


def test_voice_adapter_speaks_by_priority_in_the_session_language():
    voice = FakeVoice()
    c = SessionController([load("ex1")], "nb", measure_factory=factory, config=CONFIG)
    speak = VoiceAdapter(voice, "nb")
    ev = hold_and_release(c, 0, 14000, 16000)
    by_t: dict = {}
    for e in ev:
        by_t.setdefault(e.timestamp_ms, []).append(e)
    for _t, evs in sorted(by_t.items()):  # as the pipeline does: a frame's events, then the sinks
        for e in evs:
            speak(e)
        speak.write(None)
    # the first frame's welcome and introduction are one utterance
    assert "Velkommen" in voice.said[0][1] and "Øvelse ex1" in voice.said[0][1]
    assert voice.chimes[:1] == ["start"] and "done" in voice.chimes
    texts = [t for _p, t in voice.said]
    assert any("Øvelse ex1" in t for t in texts)
    assert any("smerte" in t for t in texts)
    prios = dict((t, p) for p, t in voice.said)
    assert prios[next(t for t in texts if "smerte" in t)] == "safety"
    assert prios["5 sekunder igjen"] == "count"  # the countdown during the hold
    assert not any("fault" == p for p, _ in voice.said)


@pytest.mark.gui
def test_session_events_spoken_by_real_espeak_ng():
    import shutil

    from coach.ui.voice import Voice

    from needs import tool

    tool("espeak-ng")
    voice = Voice(lang="nb", player=None, max_age_s=30.0)
    try:
        c = SessionController([load("ex1")], "nb", measure_factory=factory, config=CONFIG)
        speak = VoiceAdapter(voice, "nb")
        for e in feed(c, 0, 300):
            speak(e)
        speak.flush()
        assert voice.wait_idle(timeout_s=60)
        spoken = [t for what, t in voice.history if what == "spoken"]
        assert any("Øvelse ex1" in t for t in spoken), list(voice.history)
    finally:
        voice.close()


def test_missing_speech_engine_degrades_to_text_with_one_warning(tmp_path):
    """The session runs without espeak-ng on PATH: one warning line, cues still shown."""
    import os
    import subprocess
    import sys

    import cv2

    from coach.session.safety import CONTRAINDICATIONS

    (tmp_path / "a.yaml").write_text("screening: {" + ", ".join(f"{t}: no" for t in CONTRAINDICATIONS)
                                     + "}\nkeys: [[1.0, q]]\n")
    (tmp_path / "p.yaml").write_text("exercises: [lying_twist]\nintro_s: 1\n")
    video = tmp_path / "grey.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for _ in range(30):
        w.write(np.full((120, 160, 3), 90, np.uint8))
    w.release()
    env = {**os.environ, "COACH_HOME": str(tmp_path / "home"), "PATH": str(tmp_path)}  # no espeak-ng here
    proc = subprocess.run([sys.executable, "-m", "coach", "session", "--program", str(tmp_path / "p.yaml"),
                           "--camera", str(video), "--fast", "--no-window", "--out", str(tmp_path / "out"),
                           "--answers", str(tmp_path / "a.yaml"), "--lang", "en"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "espeak-ng" in line]
    assert len(warnings) == 1 and "text only" in warnings[0], proc.stderr
    assert "Stopped by you" in proc.stdout


# --------------------------------------------------------------------------- the picture
def _step(c, t_ms: float, rgb: np.ndarray):
    from coach.pipeline.loop import Step

    f = frame(t_ms)
    return Step(0, rgb, f, f, [], None)


def test_renderer_draws_prompts_and_overlay_at_display_size():
    from coach.ui.session_view import SessionRenderer

    rgb = np.full((480, 640, 3), 200, np.uint8)
    c = controller(1)
    r = SessionRenderer(c, "nb", display_height=720)
    c.update(frame(0))
    intro = r.render(_step(c, 0, rgb))
    assert intro.shape == (720, 960, 3)
    assert r.prompt_view().title.endswith("Øvelse ex1 æøå")
    assert intro.mean() < 120  # dimmed under the prompt
    feed(c, 100, 3000)
    assert c.stage == "coaching"
    coach = r.render(_step(c, 3000, rgb))
    assert r.prompt_view() is None
    assert coach.shape == (720, 960, 3) and coach.mean() > 120  # camera picture, not dimmed
    assert (np.abs(coach.astype(int) - 200).sum(axis=2) > 60).sum() > 5000  # panel, cue, skeleton drawn
    c.press("p")
    c.update(frame(3100))
    assert r.prompt_view().title == "Pause"
    assert r.render(_step(c, 3100, rgb)).mean() < 120


def test_renderer_mirror_flips_the_picture_not_the_text():
    from coach.ui.session_view import SessionRenderer

    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:, :320] = 255  # left half white
    for mirror, bright_left in ((False, True), (True, False)):
        c = controller(1)
        c.update(frame(0))
        img = SessionRenderer(c, "en", mirror=mirror).render(_step(c, 0, rgb))
        left, right = img[440:, :100].mean(), img[440:, -100:].mean()
        assert (left > right + 20) == bright_left, (mirror, left, right)


# --------------------------------------------------------------------------- inputs and validation
def test_normalise_key():
    assert normalise_key(27) == "esc" and normalise_key(32) == " " and normalise_key(ord("Q")) == "q"
    assert normalise_key(-1) is None and normalise_key(255) is None and normalise_key(ord("x")) is None
    assert normalise_key("space") == " "


def test_config_validation_names_the_field():
    with pytest.raises(SessionError, match="intro_s"):
        SessionConfig(intro_s=-1)
    with pytest.raises(SessionError, match="symptom_timeout_s"):
        SessionConfig(symptom_timeout_s=0)
    with pytest.raises(SessionError, match="at least one"):
        SessionController([], "en")


def test_timestamps_going_backwards_or_nan_are_ignored():
    c = controller(1)
    feed(c, 0, 1000)
    assert c.update(frame(500)) == []
    assert c.update(frame(math.nan)) == []


def test_intro_waits_until_the_introduction_has_been_spoken():
    busy = [True]
    c = controller(1, speech_busy=lambda: busy[0])
    feed(c, 0, 5000)
    assert c.stage == "intro"  # intro_s (2 s) is over, but the voice is still talking
    busy[0] = False
    feed(c, 5000, 5200)
    assert c.stage == "framing"


def test_symptom_answer_time_runs_once_the_question_has_been_said():
    """The question and how to answer take a while to say: the 5 s to answer start after."""
    speaking = {"until": math.inf}
    c = None

    def busy() -> bool:  # the voice says the question for 8 s
        return c.stage == "symptoms" and c._t < speaking["until"]

    c = controller(1, speech_busy=busy)
    ev = hold_and_release(c, 0, 14000, 16000)
    q = kinds(ev, "symptoms", "question")
    assert q and c.stage == "symptoms"
    asked = q[0].timestamp_ms
    speaking["until"] = asked + 8000
    ev = feed(c, 16000, asked + 8000)  # 8 s of speech: longer than the 5 s to answer
    assert c.stage == "symptoms" and not kinds(ev, "symptoms", "none")
    ev = feed(c, asked + 8000, asked + 12900)
    assert c.stage == "symptoms"
    ev = feed(c, asked + 12900, asked + 13200)
    assert kinds(ev, "symptoms", "none")  # 5 s after the speech ended
