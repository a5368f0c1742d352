"""A guided session end to end in a real window under Xvfb: the real model on a sample
video played as a live camera, keys sent with xdotool, screenshots taken with
ImageMagick's ``import -window root``. Checks that the introduction, the coaching overlay
and the pause screen are on screen, that Norwegian text (æ, ø, å) is rendered as letters
and not "?", and that the stop key ends the session with the report written.

Screenshots are kept in $COACH_SHOTS (default /tmp/coach-shots) for a person to look at."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from coach import i18n
from coach.ui.draw import _text_mask, load_font, wrap_text
from coach.session.safety import CONTRAINDICATIONS
from needs import committed, tool

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "lying_twist" / "good.mp4"
SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp/coach-shots"))
WINDOW_H = 720

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest.fixture(scope="module")
def display():
    for name in ("Xvfb", "xdotool", "import"):
        tool(name)
    n = next(n for n in range(90, 400) if not Path(f"/tmp/.X{n}-lock").exists()
             and not Path(f"/tmp/.X11-unix/X{n}").exists())
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"Xvfb :{n} did not start within 10 s")
        time.sleep(0.1)
    yield f":{n}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    committed(SAMPLE)
    out = tmp_path_factory.mktemp("clip") / "lt25.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(SAMPLE), "-t", "25", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def screenshot(display: str, name: str) -> np.ndarray:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    subprocess.run(["import", "-display", display, "-window", "root", str(path)], check=True, timeout=20)
    img = cv2.imread(str(path))
    assert img is not None
    return img


def key(display: str, k: str) -> None:
    env = {**os.environ, "DISPLAY": display}
    wid = subprocess.run(["xdotool", "search", "--name", "^coach$"], env=env, capture_output=True, text=True,
                         timeout=10).stdout.split()
    assert wid, "the coach window is not there"
    subprocess.run(["xdotool", "key", "--window", wid[0], k], env=env, check=True, timeout=10)


def events(out: Path) -> list[dict]:
    found = []
    for f in out.glob("*.events.jsonl"):
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return found


def wait_event(out: Path, pred, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for e in events(out):
            if pred(e):
                return e
        time.sleep(0.1)
    raise AssertionError("event not seen in time")


def text_score(shot: np.ndarray, text: str, size_px: int, bold: bool = False) -> float:
    """How well ``text`` rendered with the bundled font matches somewhere in ``shot``
    (normalised cross-correlation of the glyph coverage with the grey screenshot)."""
    mask = _text_mask(text, size_px, bold, None, "left", 1.15).astype(np.float32)
    grey = cv2.cvtColor(shot, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(cv2.matchTemplate(grey, mask, cv2.TM_CCOEFF_NORMED).max())


def assert_unicode_rendered(shot: np.ndarray, text: str, size_px: int | list[int],
                            bold: bool = False) -> tuple[float, float]:
    """Find the line ``text`` on screen, then compare the word holding æ/ø/å at its place
    with that word rendered properly and with "?" in place of the letter: the real
    rendering must match clearly better (a "?" fallback font would match the other)."""
    assert any(ord(ch) > 127 for ch in text), text
    grey = cv2.cvtColor(shot, cv2.COLOR_BGR2GRAY).astype(np.float32)
    best = None
    for size in ([size_px] if isinstance(size_px, int) else size_px):
        mask = _text_mask(text, size, bold, None, "left", 1.15).astype(np.float32)
        _min, score, _minloc, loc = cv2.minMaxLoc(cv2.matchTemplate(grey, mask, cv2.TM_CCOEFF_NORMED))
        if best is None or score > best[0]:
            best = (score, loc, size)
    line_score, (x0, y0), size_px = best
    assert line_score > 0.8, (text, line_score)
    words = text.split(" ")
    i = next(i for i, w in enumerate(words) if any(ord(c) > 127 for c in w))
    prefix = " ".join(words[:i]) + (" " if i else "")
    x_off = int(round(load_font(size_px, bold).getlength(prefix)))
    word = words[i]
    scores = []
    for variant in (word, "".join("?" if ord(c) > 127 else c for c in word)):
        wm = _text_mask(variant, size_px, bold, None, "left", 1.15).astype(np.float32)
        m = 6
        ys, xs = max(0, y0 - m), max(0, x0 + x_off - m)
        region = grey[ys:y0 + wm.shape[0] + m, xs:x0 + x_off + wm.shape[1] + m]
        scores.append(float(cv2.matchTemplate(region, wm, cv2.TM_CCOEFF_NORMED).max()))
    real, question = scores
    assert real > 0.85, (word, real, question)
    assert real > question + 0.1, (word, real, question)
    return real, question


def test_window_session_in_norwegian_intro_overlay_pause_and_stop_key(display, clip, tmp_path):
    home = tmp_path / "home"
    out = tmp_path / "out"
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"screening": {t: False for t in CONTRAINDICATIONS}}))
    program = tmp_path / "p.yaml"
    program.write_text("exercises: [lying_twist]\nintro_s: 4\n")
    env = {**os.environ, "DISPLAY": display, "COACH_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "coach", "session", "--program", str(program),
                             "--camera", str(clip), "--lang", "nb", "--out", str(out), "--answers", str(answers),
                             "--mute", "--window-height", str(WINDOW_H)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # 1. the introduction: name, equipment, camera placement, in Norwegian
        wait_event(out, lambda e: e["kind"] == "intro")
        time.sleep(0.8)
        shot = screenshot(display, "session-nb-intro.png")
        from coach.spec import load_spec

        spec = load_spec("lying_twist")
        body = " ".join([i18n.t("session.equipment", "nb", equipment=spec.equipment["nb"].rstrip(".")),
                         spec.camera_placement["nb"]])
        w = int(round(WINDOW_H * 4 / 3))
        body_px = int(round(WINDOW_H * 0.055))
        lines = wrap_text(body, load_font(body_px), w * 0.86)
        line = next(ln for ln in lines if any(ord(c) > 127 for c in ln))
        intro_scores = assert_unicode_rendered(shot, line, body_px)
        title_px = int(round(WINDOW_H * 0.085))
        assert text_score(shot, f"1/1  {spec.names['nb']}", title_px, bold=True) > 0.8

        # 2. coaching: the status panel with the exercise and the phase, the skeleton, the cue
        wait_event(out, lambda e: e["kind"] == "framing" and e["data"].get("state") == "ready")
        time.sleep(0.7)  # the phase's first instruction shows for 4 s; the next cue comes 3 s later
        shot = screenshot(display, "session-nb-coaching.png")
        panel_px = int(round(WINDOW_H * 0.042))
        assert text_score(shot, spec.names["nb"], panel_px, bold=True) > 0.8
        assert text_score(shot, spec.phase("start").names["nb"], panel_px) > 0.75
        win = shot[:WINDOW_H, :w]
        # skeleton joints are drawn in the overlay's cyan; the rule symbols in green
        cyan = np.all(np.abs(win.astype(int) - (230, 200, 60)) < 40, axis=2).sum()
        assert cyan > 200, cyan
        cue = next(e for e in events(out) if e["kind"] == "phase" and e["data"].get("state") == "start")
        from coach.ui.draw import CueBanner

        # the banner shrinks a long cue to fit two lines: 54 px, then 47, 41, ...
        cue_px, sizes = CueBanner().layout_size_px(WINDOW_H), []
        while cue_px >= 30:
            sizes.append(cue_px)
            cue_px = int(cue_px * 0.88)
        words = cue["text"]["nb"].split(" ")
        assert words[1] == "på"  # "Ligg på ryggen ...": the first words share the banner's first line
        cue_scores = assert_unicode_rendered(shot, " ".join(words[:3]), sizes, bold=True)

        # 3. pause (space) shows the pause screen with "å"; space again resumes
        key(display, "space")
        wait_event(out, lambda e: e["kind"] == "pause" and e["data"].get("state") == "paused", 15)
        time.sleep(0.8)
        shot = screenshot(display, "session-nb-paused.png")
        pause_scores = assert_unicode_rendered(shot, i18n.t("session.paused", "nb"), body_px)
        key(display, "space")
        wait_event(out, lambda e: e["kind"] == "pause" and e["data"].get("state") == "resumed", 15)

        # 4. the stop key ends the session (communicate's timeout fails a hang), with the report written
        key(display, "q")
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    rec = json.loads(next(out.glob("session-*.json")).read_text())
    assert rec["ended_by"] == "stopped" and rec["exercises"][0]["status"] == "stopped"
    assert rec["paused_s"] > 0.3
    assert "Stoppet av deg" in stdout
    (SHOTS / "session-nb-scores.txt").write_text(f"intro {intro_scores}\ncue {cue_scores}\npause {pause_scores}\n")


def test_window_skip_then_symptom_yes_by_key_ends_session_english(display, clip, tmp_path):
    home = tmp_path / "home"
    out = tmp_path / "out"
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"screening": {t: False for t in CONTRAINDICATIONS}}))
    program = tmp_path / "p.yaml"
    program.write_text("exercises: [lying_twist, cat_cow]\nintro_s: 2\nsymptom_timeout_s: 60\n")
    env = {**os.environ, "DISPLAY": display, "COACH_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "coach", "session", "--program", str(program),
                             "--camera", str(clip), "--lang", "en", "--out", str(out), "--answers", str(answers),
                             "--mute", "--mirror"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_event(out, lambda e: e["kind"] == "framing" and e["data"].get("state") == "ready")
        time.sleep(0.5)
        screenshot(display, "session-en-coaching-mirrored.png")
        key(display, "s")
        wait_event(out, lambda e: e["kind"] == "symptoms" and e["data"].get("state") == "question", 15)
        time.sleep(0.8)
        shot = screenshot(display, "session-en-symptoms.png")
        q_px = int(round(WINDOW_H * 0.085))
        question = i18n.t("symptoms.question", "en")
        w = int(round(WINDOW_H * 4 / 3))
        first = wrap_text(question, load_font(q_px, True), w * 0.86)[0]
        assert text_score(shot, first, q_px, bold=True) > 0.8
        from coach.session.keys import controls_line

        assert text_score(shot, controls_line("en", "question"), int(round(WINDOW_H * 0.042)), bold=True) > 0.8
        body_px = int(round(WINDOW_H * 0.055))
        how = wrap_text(i18n.t("symptoms.how_to_answer", "en", seconds="2", yes="Y", no="N"), load_font(body_px),
                        w * 0.86)[0]
        assert text_score(shot, how, body_px) > 0.8  # "If yes, raise a hand up toward the ceiling ..."
        key(display, "y")
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    rec = json.loads(next(out.glob("session-*.json")).read_text())
    assert rec["ended_by"] == "symptoms"
    assert [e["status"] for e in rec["exercises"]] == ["skipped", "not_reached"]
    assert rec["exercises"][0]["symptoms"] == {"answer": True, "how": "key", "t_s": rec["exercises"][0]["symptoms"]["t_s"]}
    assert "Stopped because of symptoms" in stdout
