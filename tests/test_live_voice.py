"""`coach live`: one line and a non-zero exit without a display (not a 134 abort), and the
session's voice (espeak-ng, the same cue selection) in a real window under Xvfb, with
--mute. What the voice would say is read from its transcript ($COACH_SPEECH_LOG)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, cut_video
from tests.xdisplay import Xvfb
from needs import committed, tool

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
SAMPLE = SAMPLES / "lying_twist" / "good.mp4"


def coach(*args: str) -> list[str]:
    return [sys.executable, "-m", "coach", *args]


def no_display_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return cut_video(committed(SAMPLE), tmp_path_factory.mktemp("clip") / "lt.mp4", 150, fps=10.0)  # 15 s


def transcript(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def spoken_event_texts(events_path: Path, lang: str) -> list[str]:
    """The texts of the run's events that the session's voice selection says."""
    from types import SimpleNamespace

    from coach.ui.speech import event_priority

    out = []
    for line in events_path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        ev = SimpleNamespace(kind=d["kind"], text=d.get("text"), severity=d.get("severity"), data=d.get("data") or {})
        if event_priority(ev) is not None and (d.get("text") or {}).get(lang):
            out.append(d["text"][lang])
    return out


@pytest.mark.parametrize("display", [None, ":987"])
def test_live_without_a_display_says_what_to_do(display, clip):
    env = no_display_env()
    if display:
        env["DISPLAY"] = display  # set, but no X server there
    proc = subprocess.run(coach("live", "-e", "lying_twist", "--camera", str(clip), "--max-seconds", "5"),
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("coach: error: cannot open a window: no display"), lines[0]
    assert "--no-window --out DIR" in lines[0]


@pytest.mark.gui
def test_live_window_speaks_the_cues_under_xvfb(clip, tmp_path):
    tool("espeak-ng"), tool("xdotool")
    x = Xvfb()
    log = tmp_path / "speech.jsonl"
    out = tmp_path / "out"
    try:
        env = {**x.env(), "COACH_SPEECH_LOG": str(log), "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(coach("live", "-e", "lying_twist", "--camera", str(clip), "--lang", "nb",
                                      "--out", str(out), "--max-seconds", "60"),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            window = x.find_window("coach", timeout_s=60)
            assert window, "no coach window appeared"
            title = subprocess.run(["xdotool", "getwindowname", window], env=x.env(), capture_output=True,
                                   text=True).stdout.strip()
            assert title.endswith("(Q/Esc: stopp)"), title  # the stop keys, from the one key table
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(e["what"] == "spoken" for e in transcript(log)):
                time.sleep(0.2)
            time.sleep(3)
            x.key(window, "q")
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        x.close()
    assert proc.returncode == 0, stderr
    said = transcript(log)
    queued = " ".join(e["text"] for e in said if e["what"] == "queued")
    assert any(e["what"] == "spoken" for e in said), said  # espeak-ng ran
    assert all(e["lang"] == "nb" for e in said)
    expected = spoken_event_texts(out / "events.jsonl", "nb")
    assert expected, "the run had nothing to say"
    # the first instruction ("Ligg på ryggen ...") reached the voice, in Norwegian
    assert expected[0] in queued, (expected[0], queued)
    assert "Ligg på ryggen" in queued


def test_live_mute_says_nothing(clip, tmp_path):
    log = tmp_path / "speech.jsonl"
    out = tmp_path / "out"
    env = {**no_display_env(), "COACH_SPEECH_LOG": str(log)}
    proc = subprocess.run(coach("live", "-e", "lying_twist", "--camera", str(clip), "--no-window", "--out", str(out),
                                "--mute", "--lang", "en", "--max-seconds", "6"),
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    said = transcript(log)
    assert said and {e["what"] for e in said} == {"muted"}, said
    assert any("Lie on your back" in e["text"] for e in said)


def test_live_without_window_still_speaks(clip, tmp_path):
    tool("espeak-ng")
    log = tmp_path / "speech.jsonl"
    env = {**no_display_env(), "COACH_SPEECH_LOG": str(log)}
    proc = subprocess.run(coach("live", "-e", "lying_twist", "--camera", str(clip), "--no-window",
                                "--out", str(tmp_path / "out"), "--lang", "en", "--max-seconds", "6"),
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    said = transcript(log)
    assert any(e["what"] == "queued" and "Lie on your back" in e["text"] for e in said), said
    assert any(e["what"] == "spoken" for e in said), said
