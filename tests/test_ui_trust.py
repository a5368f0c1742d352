"""What the picture, the report and the terminal say must agree with what the coach judged
(issue 14, items 7-9): the value a rule judges with its unit, no value rounded onto its
bound, a "within limits" figure from the same data the plot draws, units on every axis,
a short name per rule, a panel that keeps off the person, a hold ring that shows a pause,
and `coach history` per side in the person's language."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from coach import i18n
from coach.engine.exercise import EngineState
from coach.pose import Landmark, PoseFrame
from coach.spec import list_specs, load_spec
from coach.ui.draw import (
    AMBER,
    GREEN,
    HoldRing,
    HoldView,
    OverlayState,
    RuleRow,
    StatusPanel,
)
from coach.ui.overlay import OverlayRenderer
from coach.ui.report import measure_svg, render_html

REPO = Path(__file__).resolve().parent.parent


def rule_row_text(row, lang):
    from coach.ui.draw import rule_row_text as f   # (new: imported here so each test fails on its own)

    return f(row, lang)


def value_text(*a):
    from coach.i18n.numbers import value_text as f

    return f(*a)


# --------------------------------------------------------------------------- helpers
def _frame(points: dict[int, tuple[float, float]], t_ms: float = 0.0, wh=(1280, 720)) -> PoseFrame:
    lm = np.full((33, 5), np.nan)
    for k, (x, y) in points.items():
        lm[k] = [x, y, 0.0, 0.95, 0.95]
    return PoseFrame(timestamp_ms=t_ms, landmarks=lm, image_wh=wh)


def _status(rule_id, state, value, lo, hi, unit, judged=None, severity="form"):
    """A rule in the engine's snapshot, with the ``judged_value`` the engine is getting."""
    s = SimpleNamespace(rule_id=rule_id, severity=severity, state=state, value=value, min=lo, max=hi, unit=unit)
    if judged is not None:
        s.judged_value = judged
    return s


class _Engine:
    def __init__(self, rules, side="right", phase="twist", hold=(12.0, 30.0, "holding")):
        self.rules, self.side, self.phase, self.hold = rules, side, phase, hold

    def snapshot(self):
        return EngineState(exercise_id="lying_twist", phase_id=self.phase, phase_kind="hold", side=self.side,
                           step=1, n_steps=3, hold_s=self.hold[0], hold_target_s=self.hold[1],
                           hold_state=self.hold[2], reps=None, reps_target=None, rules=self.rules, cue=None,
                           done=False)


def _step(engine, frame):
    return SimpleNamespace(index=0, rgb=None, raw=frame, pose=frame, events=[], engine=engine)


LYING = {  # lying on the back across the picture, head on the left
    Landmark.NOSE: (0.12, 0.52), Landmark.LEFT_EAR: (0.13, 0.55), Landmark.RIGHT_EAR: (0.13, 0.55),
    Landmark.LEFT_SHOULDER: (0.22, 0.60), Landmark.RIGHT_SHOULDER: (0.22, 0.58),
    Landmark.LEFT_ELBOW: (0.30, 0.64), Landmark.RIGHT_ELBOW: (0.30, 0.62),
    Landmark.LEFT_WRIST: (0.38, 0.64), Landmark.RIGHT_WRIST: (0.38, 0.62),
    Landmark.LEFT_HIP: (0.50, 0.62), Landmark.RIGHT_HIP: (0.50, 0.60),
    Landmark.LEFT_KNEE: (0.68, 0.62), Landmark.RIGHT_KNEE: (0.66, 0.45),
    Landmark.LEFT_ANKLE: (0.86, 0.64), Landmark.RIGHT_ANKLE: (0.72, 0.60),
}
STANDING = {  # standing on the left of the picture
    Landmark.NOSE: (0.22, 0.14), Landmark.LEFT_EAR: (0.24, 0.13), Landmark.RIGHT_EAR: (0.20, 0.13),
    Landmark.LEFT_SHOULDER: (0.28, 0.27), Landmark.RIGHT_SHOULDER: (0.16, 0.27),
    Landmark.LEFT_ELBOW: (0.30, 0.42), Landmark.RIGHT_ELBOW: (0.14, 0.42),
    Landmark.LEFT_WRIST: (0.31, 0.55), Landmark.RIGHT_WRIST: (0.13, 0.55),
    Landmark.LEFT_HIP: (0.26, 0.56), Landmark.RIGHT_HIP: (0.18, 0.56),
    Landmark.LEFT_KNEE: (0.26, 0.74), Landmark.RIGHT_KNEE: (0.18, 0.74),
    Landmark.LEFT_ANKLE: (0.26, 0.92), Landmark.RIGHT_ANKLE: (0.18, 0.92),
}


def _head_box(frame: PoseFrame, wh) -> tuple[float, float, float, float]:
    """The head in pixels: nose and ears, grown by the head's size (a head is ~ 1/4 torso)."""
    w, h = wh
    pts = frame.landmarks[[Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_EYE,
                           Landmark.RIGHT_EYE], :2]
    pts = pts[np.isfinite(pts).all(axis=1)] * [w, h]
    grow = 0.06 * h
    return (pts[:, 0].min() - grow, pts[:, 1].min() - grow, pts[:, 0].max() + grow, pts[:, 1].max() + grow)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


# --------------------------------------------------------------------------- item 7: values
def test_the_row_shows_the_value_the_rule_judges_with_its_unit():
    """shoulder_lifting is judged as the change since the hold began: a row that needs
    correcting shows that change (0.05 torso lengths, outside ±0.04) with its unit, never
    the raw 0.30; a row in order shows no number at all, so no tick stands next to a
    value outside its limits."""
    spec = load_spec("lying_twist")
    r = OverlayRenderer(spec, lang="nb")
    engine = _Engine([_status("shoulder_lifting", "warning", 0.30, -0.04, 0.04, "body", judged=0.05),
                      _status("arms_not_t", "ok", 1.90, None, 1.12, "body", judged=0.5)])
    state = r.state(_step(engine, _frame(LYING)))
    row, ok_row = state.rules
    assert row.value == pytest.approx(0.05)
    text = rule_row_text(row, "nb")
    assert "0,05" in text and "0,3" not in text
    assert "× overkroppslengde" in text       # the unit: a share of the torso length
    assert "°" not in text
    assert rule_row_text(ok_row, "nb") == "Armene ut til siden"


def test_a_rule_not_judged_now_shows_no_number():
    spec = load_spec("lying_twist")
    r = OverlayRenderer(spec, lang="en")
    engine = _Engine([_status("shoulder_lifting", "ok", 0.30, -0.04, 0.04, "body", judged=math.nan)])
    row = r.state(_step(engine, _frame(LYING))).rules[0]
    assert row.value is None and row.state == "idle"
    assert "0.3" not in rule_row_text(row, "en")


@pytest.mark.parametrize("value, bounds, unit, lang, expected", [
    (30.4, (None, 30.0), "deg", "nb", "30,4"),      # red, so never "30"
    (29.6, (None, 30.0), "deg", "en", "29.6"),      # inside, so never "30" either
    (30.0, (None, 30.0), "deg", "en", "30"),        # on the bound: shown as the bound
    (12.3, (None, 30.0), "deg", "nb", "12"),
    (0.0449, (-0.04, 0.04), "body", "nb", "0,045"),
    (0.012, (-0.04, 0.04), "body", "nb", "0,01"),
    (1.25, (None, 1.5), "s", "nb", "1,3"),          # ties away from zero, as JavaScript's toFixed
])
def test_a_value_never_reads_as_its_bound_when_it_is_not(value, bounds, unit, lang, expected):
    assert value_text(value, unit, lang, bounds) == expected


def test_the_panel_row_keeps_an_out_of_bound_value_apart_from_its_bound():
    row = RuleRow("Skuldrene nede", "fault", 30.4, (None, 30.0), "deg")
    text = rule_row_text(row, "nb")
    assert "30,4°" in text and "≤ 30°" in text


def test_numbers_use_the_languages_decimal_mark():
    from coach.i18n.numbers import bound_text, number

    assert number(1.5, "nb", 1) == "1,5" and number(1.5, "en", 1) == "1.5"
    assert number(-0.001, "nb", 2) == "0,00"
    assert bound_text(0.04, "body", "nb") == "0,04" and bound_text(30, "deg", "en") == "30"
    assert i18n.t("engine.hold_released", "nb", achieved_s=9.1) == "Holdet er ferdig (9,1 s)"


def _measure(samples, lo=-0.04, hi=0.04, unit="body"):
    return {"measure": "shoulder_rise", "unit": unit, "severity": "form", "min": lo, "max": hi,
            "label": {"nb": "Hold begge skuldrene nede.", "en": "Keep both shoulders down."},
            "samples": samples, "range": None}


def test_within_limits_is_computed_from_what_the_plot_draws():
    """8 of 10 judged samples lie outside the band (their state said ok: the rule was
    quiet while the value moved): the figure says 20 %, not 100 %."""
    samples = [[i * 0.2, 0.30 if i < 8 else 0.0, "right", "twist", "ok"] for i in range(10)]
    samples.append([2.0, None, "right", "twist", "cant_see"])   # not judged: not counted
    m = _measure(samples)
    from coach.ui.report import within_limits

    assert within_limits(m) == pytest.approx(0.2)
    ex = {"id": "lying_twist", "names": {"nb": "Liggende rotasjon", "en": "Lying twist"}, "status": "done",
          "summary": {"duration_s": 2.0, "holds_s": {}, "reps": {}}, "targets": {}, "cues": [],
          "measures": {"shoulder_lifting": m}}
    page = render_html({"started_at": "2026-12-01T10:00:00", "exercises": [ex], "ended_by": "completed"}, "nb")
    row = re.search(r"Skuldrene nede</td>(.*?)</tr>", page).group(1)
    assert "20 %" in row and "100 %" not in row
    svg = measure_svg("shoulder_lifting", m, "nb", exercise_id="lying_twist")
    assert svg.count('class="out"') == 8     # the red points: the same eight


def test_plots_carry_units_on_both_axes():
    m = _measure([[i * 0.5, 0.01 * i, "right", "twist", "ok"] for i in range(8)])
    nb = measure_svg("shoulder_lifting", m, "nb", exercise_id="lying_twist")
    en = measure_svg("shoulder_lifting", m, "en", exercise_id="lying_twist")
    assert "× overkroppslengde" in nb and "× torso length" in en
    assert 'class="axis-y"' in nb and 'class="axis-x"' in nb
    assert re.search(r'class="axis-x"[^>]*>[^<]*(min:s|s)\b', en)
    deg = measure_svg("neck", _measure([[i, 5.0 + i, None, "flow", "ok"] for i in range(5)], None, 9.0, "deg"),
                      "en", exercise_id="cat_cow")
    assert re.search(r'class="axis-y"[^>]*>[^<]*(°|degrees)', deg)
    # decimal comma on the Norwegian tick labels
    assert re.search(r">-?0,0\d<", nb) and not re.search(r">-?0\.0\d<", nb)


# --------------------------------------------------------------------------- item 8: names, panel, ring
def test_every_rule_of_every_spec_has_a_name_in_both_languages():
    missing = []
    for spec in list_specs():
        for rid in spec.rules:
            for lang in ("nb", "en"):
                if not i18n.has_key(f"rule.{spec.id}.{rid}", lang):
                    missing.append(f"rule.{spec.id}.{rid} ({lang})")
    assert not missing, missing
    # names are short and not cue sentences
    for lang in ("nb", "en"):
        for key, text in i18n.catalogue(lang).items():
            if key.startswith("rule."):
                assert len(text) <= 26 and not text.endswith(".") and "{" not in text, (key, text)


def test_rule_rows_use_the_rules_names_and_two_rows_never_read_alike():
    spec = load_spec("lying_twist")
    r = OverlayRenderer(spec, lang="nb")
    rows = [_status(rid, "ok", 0.1, None, 0.5, "body", judged=0.1)
            for rid in ("knee_not_crossing", "knee_brought_over", "arms_not_t")]
    state = r.state(_step(_Engine(rows), _frame(LYING)))
    labels = [row.label for row in state.rules]
    assert labels == [i18n.t(f"rule.lying_twist.{rid}", "nb")
                      for rid in ("knee_not_crossing", "knee_brought_over", "arms_not_t")]
    assert len(set(labels)) == 3


def _panel_state(frame: PoseFrame, n_rules: int = 6) -> OverlayState:
    rules = [RuleRow(f"Regel nummer {i}", "ok", 12.0, (None, 30.0), "deg") for i in range(n_rules)]
    return OverlayState(exercise="Katt-ku", phase="Bøy og strekk", side="right", rules=rules, pose=frame,
                        next_instruction="Pust rolig.", hold_s=5.0, hold_target_s=30.0)


@pytest.mark.parametrize("points", [LYING, STANDING], ids=["lying", "standing"])
def test_the_panel_keeps_off_the_head(points):
    wh = (1280, 720)
    frame = _frame(points, wh=wh)
    panel = StatusPanel(lang="nb")
    state = _panel_state(frame)
    box = panel.box_xyxy(wh, state)
    assert _overlap(box, _head_box(frame, wh)) == 0.0


@pytest.mark.parametrize("exercise, index", [("cat_cow", 300), ("lying_twist", 300), ("lying_twist", 700)])
def test_the_panel_keeps_off_the_head_on_real_frames(exercise, index):
    from coach.vision.recording import load_clip

    clip = load_clip(REPO / "samples" / exercise / "good.landmarks.npz")
    wh = (1280, 960)
    frame = clip.frame(index)
    r = OverlayRenderer(load_spec(exercise), lang="nb")
    for i in range(max(0, index - 30), index + 1):   # the recent frames it places the panel by
        state = r.state(_step(_Engine([]), clip.frame(i)))
    for n in range(8):
        state.rules.append(RuleRow(f"Regel {n}", "ok", 12.0, (None, 30.0), "deg"))
    box = r.annotator.panel.box_xyxy(wh, state)
    assert _overlap(box, _head_box(frame, wh)) == 0.0


def _ring_colour_fraction(scene, ring, color, tol=40):
    h, w = scene.shape[:2]
    (cx, cy), r, _ = ring.layout((w, h))
    th = np.radians(np.arange(0.5, 360.0, 1.0) - 90.0)
    xs = np.round(cx + r * np.cos(th)).astype(int)
    ys = np.round(cy + r * np.sin(th)).astype(int)
    return np.all(np.abs(scene[ys, xs].astype(int) - np.array(color)) < tol, axis=1).mean()


def test_the_hold_ring_shows_a_pause_and_done():
    ring = HoldRing(lang="nb")
    holding = np.zeros((720, 1280, 3), np.uint8)
    paused = np.zeros((720, 1280, 3), np.uint8)
    ring.annotate(holding, HoldView(10.0, 30.0, "holding"))
    ring.annotate(paused, HoldView(10.0, 30.0, "paused"))
    assert _ring_colour_fraction(holding, ring, GREEN) == pytest.approx(1 / 3, abs=0.03)
    assert _ring_colour_fraction(paused, ring, AMBER) == pytest.approx(1 / 3, abs=0.03)
    assert _ring_colour_fraction(paused, ring, GREEN) == 0.0
    # a pause mark: two amber bars in the middle of the ring
    (cx, cy), r, _ = ring.layout((1280, 720))
    middle = paused[cy - r // 2:cy + r // 2, cx - r // 2:cx + r // 2]
    amber = np.all(np.abs(middle.astype(int) - np.array(AMBER)) < 40, axis=2)
    cols = np.flatnonzero(amber.sum(axis=0) > r // 3)
    assert cols.size and (np.diff(cols) > 1).sum() == 1     # two separate vertical bars
    done = np.zeros((720, 1280, 3), np.uint8)
    ring.annotate(done, HoldView(30.0, 30.0, "done"))
    assert _ring_colour_fraction(done, ring, GREEN) > 0.98


def test_the_overlay_passes_the_hold_state_to_the_ring():
    spec = load_spec("lying_twist")
    r = OverlayRenderer(spec, lang="nb")
    state = r.state(_step(_Engine([], hold=(12.0, 30.0, "paused")), _frame(LYING)))
    assert state.hold_state == "paused"


# --------------------------------------------------------------------------- item 9: history
def _report(tmp_path: Path, stem: str, started: str, right_s: float, left_s: float) -> None:
    from coach.ui.report import ReportWriter

    rec = {"format": "coach-session", "started_at": started, "ended_by": "completed", "duration_s": 200,
           "exercises": [{"id": "lying_twist", "names": {"nb": "Liggende rotasjon", "en": "Lying twist"},
                          "status": "done", "cues": [],
                          "summary": {"holds_s": {"twist": {"right": right_s, "left": left_s}}, "reps": {}},
                          "targets": {"twist": {"target_s": 30, "names": {"nb": "Rotasjon", "en": "Twist"}}}}]}
    ReportWriter(tmp_path, "nb", stem=stem).write(rec)


def test_history_is_per_side_by_name_in_the_persons_language(tmp_path, capsys):
    from coach.cli import main

    _report(tmp_path, "session-20261201", "2026-12-01T10:00:00", 30.0, 0.0)
    _report(tmp_path, "session-20261202", "2026-12-02T10:00:00", 30.0, 22.5)
    assert main(["history", "--lang", "nb", "--reports", str(tmp_path), "--out", str(tmp_path / "h.html")]) == 0
    out = capsys.readouterr().out
    assert "lying_twist" not in out and "15s" not in out
    assert "Liggende rotasjon" in out
    assert re.search(r"høyre 30/30 s.*venstre 0/30 s", out)
    assert re.search(r"venstre 0 s → 22,5 s|venstre: 0 → 22,5 s", out)
    page = (tmp_path / "h.html").read_text(encoding="utf-8")
    assert "høyre" in page.lower() and "venstre" in page.lower()


# --------------------------------------------------------------------------- item 9: tune progress
def test_extraction_progress_in_words_with_eta():
    from coach.tools.tune.cache import ExtractProgress, progress_line

    p = ExtractProgress(frames=120, total=480, elapsed_s=20.0)
    assert p.fraction == pytest.approx(0.25) and p.eta_s == pytest.approx(60.0)
    assert progress_line(p, "nb") == "Finner kroppen i videoen: 120 av 480 bilder (25 %), omtrent 1 min 00 s igjen"
    assert "120 of 480 frames (25 %), about 1 min 00 s left" in progress_line(p, "en")
    assert "480" in progress_line(ExtractProgress(480, 480, 80.0, done=True), "en")


def test_the_page_shows_the_extraction_while_it_runs():
    """The server answers before the workbench exists; /api/progress says how far the
    landmark extraction is, then that the page may load."""
    import urllib.request

    from coach.tools.tune.cache import ExtractProgress
    from coach.tools.tune.server import TuneServer, TuneState
    from coach.tools.tune.workbench import Workbench
    from coach.vision.recording import load_clip

    state = TuneState(None, title="Liggende rotasjon", lang="nb", exercise_id="lying_twist")
    srv = TuneServer(state)
    srv.start_background()

    def get(path):
        req = urllib.request.Request(f"http://127.0.0.1:{srv.server_address[1]}{path}")
        req.add_header("X-Coach-Token", srv.token)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    try:
        state.set_progress(ExtractProgress(frames=50, total=200, elapsed_s=10.0))
        status, p = get("/api/progress")
        assert status == 200 and p["ready"] is False and p["progress"]["frames"] == 50
        assert "50 av 200 bilder (25 %)" in p["line"] and "igjen" in p["line"]
        assert get("/api/session")[0] == 503
        state.attach(Workbench(load_clip(REPO / "samples" / "lying_twist" / "good.landmarks.npz"), "lying_twist",
                               lang="nb"))
        status, p = get("/api/progress")
        assert p["ready"] is True and get("/api/session")[0] == 200
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.e2e
def test_coach_tune_on_a_video_shows_progress_on_the_terminal(tmp_path, monkeypatch, capsys):
    from conftest import cut_video

    from coach.cli import main

    from needs import committed

    src = committed(REPO / "samples" / "lying_twist" / "good.mp4")
    short = cut_video(src, tmp_path / "short.mp4", 12)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["tune", str(short), "-e", "lying_twist", "--lang", "nb", "--no-browser", "--exit-after", "0"]) == 0
    err = capsys.readouterr().err
    assert "Kroppen er funnet i 12 bilder" in err
