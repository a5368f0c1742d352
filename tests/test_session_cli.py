"""`coach session / screening / history` from the command line: the screening blocking
and cautioning, one-line errors, the sessions-per-day warning, a headless session on a
real sample video through the real model (skip key, symptom "yes" ending the session,
report written), and Ctrl-C / SIGTERM / SIGKILL leaving a complete report."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from coach.cli import main
from coach.session.safety import CONTRAINDICATIONS
from needs import committed

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "lying_twist" / "good.mp4"


def screening(**yes) -> dict:
    return {tag: bool(yes.get(tag, False)) for tag in CONTRAINDICATIONS}


def write_answers(path: Path, **kw) -> Path:
    path.write_text(yaml.safe_dump(kw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture()
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("COACH_HOME", str(h))
    return h


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """The first 25 s of the lying-twist sample (setup, knee coming across, hold start)."""
    committed(SAMPLE)
    out = tmp_path_factory.mktemp("clip") / "lt25.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(SAMPLE), "-t", "25", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


@pytest.fixture()
def program(tmp_path) -> Path:
    p = tmp_path / "program.yaml"
    p.write_text("exercises: [lying_twist, knee_to_chest]\nintro_s: 3\n", encoding="utf-8")
    return p


# --------------------------------------------------------------------------- screening
def test_screening_blocks_with_advice_and_exit_4(home, tmp_path, capsys):
    a = write_answers(tmp_path / "a.yaml", screening=screening(back_surgery=True, osteoarthritis=True))
    rc = main(["screening", "--lang", "en", "--answers", str(a)])
    out, err = capsys.readouterr()
    assert rc == 4
    assert "should not do these exercises on your own" in out and "back surgery" in out
    assert err.strip().count("\n") == 0 and "physiotherapist or doctor" in err
    stored = json.loads((home / "screening.json").read_text())
    assert stored["status"] == "blocked" and stored["answers"]["back_surgery"] is True
    assert stat.S_IMODE((home / "screening.json").stat().st_mode) == 0o600


def test_screening_cautions_and_excludes(home, tmp_path, capsys):
    a = write_answers(tmp_path / "a.yaml", screening=screening(hypermobility=True, pregnancy=True))
    rc = main(["screening", "--lang", "nb", "--answers", str(a)])
    out, _err = capsys.readouterr()
    assert rc == 0
    assert "Vær ekstra forsiktig" in out and "stabilitetstrening" in out.lower()
    assert "Kne mot bryst og vugging" in out and "knee_to_chest" not in out  # excluded during pregnancy, by name


def test_session_refuses_to_start_when_blocked(home, tmp_path, capsys, program):
    a = write_answers(tmp_path / "a.yaml", screening=screening(osteoporosis=True))
    rc = main(["session", "--program", str(program), "--camera", str(SAMPLE), "--no-window",
               "--out", str(tmp_path / "out"), "--answers", str(a), "--lang", "en"])
    _out, err = capsys.readouterr()
    assert rc == 4 and "physiotherapist or doctor" in err
    assert not (tmp_path / "out").exists()  # nothing started, nothing written
    assert not (home / "sessions.json").exists()


def test_stored_block_also_refuses(home, tmp_path, capsys, program):
    a = write_answers(tmp_path / "a.yaml", screening=screening(spinal_stenosis=True))
    main(["screening", "--answers", str(a)])
    capsys.readouterr()
    rc = main(["session", "--program", str(program), "--camera", str(SAMPLE), "--no-window",
               "--out", str(tmp_path / "out")])
    assert rc == 4


def test_no_screening_and_no_terminal_is_one_line_error(home, tmp_path, capsys, program, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    rc = main(["session", "--program", str(program), "--camera", str(SAMPLE), "--no-window",
               "--out", str(tmp_path / "out")])
    _out, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "coach screening" in err


def test_screening_asked_in_the_terminal(home, capsys, monkeypatch):
    import io

    replies = ["maybe"] + ["n"] * len(CONTRAINDICATIONS)  # a bad reply is asked again
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(replies) + "\n"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    rc = main(["screening", "--lang", "en"])
    out, _ = capsys.readouterr()
    assert rc == 0 and "Nothing in your answers rules out" in out
    assert json.loads((home / "screening.json").read_text())["status"] == "ok"


@pytest.mark.parametrize("content,needle", [
    ("screening: [1, 2]", "screening: expected a mapping"),
    ("symptoms: maybe", "symptoms: expected a list"),
    ("keys: [[1, x]]", "keys[0]"),
    ("colour: red", "unknown key"),
    ("screening: {acute_back_pain: perhaps}", "expected yes or no"),
    (": : :", "not valid YAML"),
])
def test_bad_answers_file_is_one_line_error(home, tmp_path, capsys, content, needle, program):
    a = tmp_path / "a.yaml"
    a.write_text(content)
    rc = main(["session", "--program", str(program), "--camera", str(SAMPLE), "--no-window",
               "--out", str(tmp_path / "o"), "--answers", str(a)])
    _out, err = capsys.readouterr()
    assert rc == 2 and needle in err and err.count("\n") == 1


@pytest.mark.parametrize("content,needle", [
    ("exercises: []", "at least one exercise"),
    ("exercises: [jumping_jacks]", "unknown exercise 'jumping_jacks'"),
    ("exercises: [cat_cow]\nintro_s: soon", "intro_s: expected a number"),
    ("exercises: [cat_cow]\ntempo: 3", "unknown setting"),
])
def test_bad_program_file_is_one_line_error(home, tmp_path, capsys, content, needle):
    p = tmp_path / "p.yaml"
    p.write_text(content)
    rc = main(["session", "--program", str(p), "--camera", str(SAMPLE), "--no-window", "--out", str(tmp_path / "o")])
    _out, err = capsys.readouterr()
    assert rc == 2 and needle in err and err.count("\n") == 1


def test_no_display_is_one_line_error_not_a_crash(home, tmp_path, program):
    """OpenCV's Qt backend aborts the process without a display: checked before."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["COACH_HOME"] = str(home)
    proc = subprocess.run([sys.executable, "-m", "coach", "session", "--program", str(program),
                           "--camera", str(SAMPLE), "--out", str(tmp_path / "o")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "cannot open a window: no display" in proc.stderr and "--no-window" in proc.stderr
    assert not (home / "sessions.json").exists()


def test_display_problem():
    from coach.ui.window import display_problem

    assert display_problem({}) is not None
    assert display_problem({"DISPLAY": ":4321"}) == "no display at DISPLAY=:4321"
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"DISPLAY": "remote:0"}) is None


def test_volume_out_of_range_is_one_line_error(home, tmp_path, capsys, program):
    rc = main(["session", "--program", str(program), "--camera", str(SAMPLE), "--no-window",
               "--out", str(tmp_path / "o"), "--volume", "300"])
    err = capsys.readouterr().err
    assert rc == 2 and "--volume: must be in 0..200, got 300" in err and err.count("\n") == 1


def test_missing_camera_file_and_no_window_without_out(home, tmp_path, capsys, program):
    rc = main(["session", "--program", str(program), "--camera", str(tmp_path / "nope.mp4"), "--no-window",
               "--out", str(tmp_path / "o")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err
    rc = main(["session", "--program", str(program), "--camera", str(SAMPLE), "--no-window"])
    assert rc == 2 and "--no-window needs --out" in capsys.readouterr().err


# --------------------------------------------------------------------------- headless sessions (real model)
def _report(out: Path) -> dict:
    files = sorted(out.glob("session-*.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text(encoding="utf-8"))


@pytest.mark.e2e
def test_headless_session_skip_then_symptom_yes_ends_with_report(home, tmp_path, capsys, clip, program):
    a = write_answers(tmp_path / "a.yaml", screening=screening(hernia=True), symptoms=[True],
                      keys=[[9.0, "s"]])
    out = tmp_path / "out"
    rc = main(["session", "--program", str(program), "--camera", str(clip), "--fast", "--no-window",
               "--out", str(out), "--answers", str(a), "--lang", "nb", "--mute"])
    stdout, _err = capsys.readouterr()
    assert rc == 0
    rec = _report(out)
    assert rec["ended_by"] == "symptoms"
    lt, k2c = rec["exercises"]
    assert lt["status"] == "skipped" and lt["symptoms"]["answer"] is True and lt["symptoms"]["how"] == "script"
    assert k2c["status"] == "excluded" and "brokk" in k2c["reason"]["nb"]
    # the real model saw the person: measure samples with values during coaching
    assert any(s[1] is not None for m in lt["measures"].values() for s in m["samples"])
    assert 3.0 <= lt["started_ms"] / 1000.0 <= 8.0  # after the 3 s introduction and the framing check
    events = [json.loads(l) for l in next(out.glob("*.events.jsonl")).read_text().splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "session" and "intro" in kinds and "skip" in kinds and "symptoms" in kinds
    assert "Plager meldt" in (out / (next(out.glob("session-*.json")).stem + ".html")).read_text()
    assert "Stoppet på grunn av plager" in stdout and "Rapport lagret" in stdout
    for p in out.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


@pytest.mark.e2e
def test_third_session_today_is_warned(home, tmp_path, capsys, clip):
    home.mkdir(parents=True)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    (home / "sessions.json").write_text(json.dumps({"starts": [now, now]}))
    p = tmp_path / "p.yaml"
    p.write_text("exercises: [lying_twist]\nintro_s: 1\n")
    a = write_answers(tmp_path / "a.yaml", screening=screening(osteoarthritis=True), keys=[[2.0, "q"]])
    out = tmp_path / "out"
    rc = main(["session", "--program", str(p), "--camera", str(clip), "--fast", "--no-window", "--out", str(out),
               "--answers", str(a), "--lang", "en", "--mute"])
    stdout, _ = capsys.readouterr()
    assert rc == 0 and "already trained 2 times today" in stdout and "Be extra careful" in stdout
    rec = _report(out)
    assert rec["warning_today"] == 2 and rec["ended_by"] == "stopped"
    events = [json.loads(l) for l in next(out.glob("*.events.jsonl")).read_text().splitlines()]
    warned = [e["text"]["en"] for e in events if e["kind"] == "warning"]
    assert len(warned) == 2 and "Be extra careful" in warned[0] and "osteoarthritis" in warned[0]
    assert "already trained" in warned[1]
    assert len(json.loads((home / "sessions.json").read_text())["starts"]) == 3


def _start_session(tmp_path: Path, clip: Path, home: Path, extra=()) -> tuple[subprocess.Popen, Path]:
    a = write_answers(tmp_path / "a.yaml", screening=screening())
    p = tmp_path / "p.yaml"
    p.write_text("exercises: [lying_twist]\nintro_s: 2\n")
    out = tmp_path / "out"
    env = {**os.environ, "COACH_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "coach", "session", "--program", str(p),
                             "--camera", str(clip), "--no-window", "--out", str(out), "--answers", str(a),
                             "--lang", "en", "--mute", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    return proc, out


def _wait_for_event(out: Path, pred, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for f in out.glob("*.events.jsonl"):
            for line in f.read_text(encoding="utf-8").splitlines():
                try:
                    if pred(json.loads(line)):
                        return
                except json.JSONDecodeError:
                    pass
        time.sleep(0.2)
    raise AssertionError("event not seen in time")


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_mid_exercise_leaves_a_complete_report(tmp_path, clip, sig):
    """The video plays as a live camera (real time); the signal comes while coaching."""
    home = tmp_path / "home"
    proc, out = _start_session(tmp_path, clip, home)
    try:
        _wait_for_event(out, lambda e: e["kind"] == "framing" and e["data"].get("state") == "ready")
        time.sleep(1.0)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    rec = _report(out)
    assert rec["ended_by"] == "interrupted"
    assert rec["exercises"][0]["status"] == "stopped" and rec["exercises"][0]["summary"]["exercise_id"] == "lying_twist"
    html_file = next(out.glob("session-*.html"))
    assert html_file.read_text().rstrip().endswith("</html>")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.e2e
def test_killed_process_leaves_the_last_complete_report(tmp_path, clip):
    home = tmp_path / "home"
    proc, out = _start_session(tmp_path, clip, home)
    try:
        _wait_for_event(out, lambda e: e["kind"] == "framing" and e["data"].get("state") == "ready")
        proc.kill()  # SIGKILL: no handler runs
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    rec = _report(out)  # valid JSON: the checkpoint written at the start
    assert rec["format"] == "coach-session" and rec["ended_by"] is None
    assert next(out.glob("session-*.html")).read_text().rstrip().endswith("</html>")


# --------------------------------------------------------------------------- history
def test_history_prints_trend_and_writes_chart(home, tmp_path, capsys):
    from coach.ui.report import ReportWriter

    from test_report import session_record

    reports = home / "reports"
    for i in range(3):
        rec = session_record()
        rec["started_at"] = f"2026-11-2{i}T10:00:00+01:00"
        rec["exercises"][0]["summary"]["holds_s"]["hold"]["-"] = 10.0 + 5 * i
        ReportWriter(reports, "en", stem=f"session-2026112{i}").write(rec)
    rc = main(["history", "--lang", "en"])
    out, _ = capsys.readouterr()
    assert rc == 0
    assert "Your sessions (3)" in out and "↑ Exercise ex1: 10 → 20 s" in out
    assert (reports / "history.html").exists()


def test_history_without_sessions(home, capsys):
    assert main(["history", "--lang", "nb"]) == 0
    assert "Ingen økter er lagret ennå." in capsys.readouterr().out


def test_commands_register_on_the_main_parser(capsys):
    from coach import cli

    parser = cli.build_parser()
    for cmd in ("session", "screening", "history"):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args([cmd, "--help"])
        assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--answers" in out and "--mute" in out and "--record-landmarks" in out
    args = parser.parse_args(["session"])
    assert args.lang in ("nb", "en") and args.camera == "0" and callable(args.func)


@pytest.mark.e2e
def test_record_landmarks_of_a_session(home, tmp_path, capsys, clip):
    from coach.vision.recording import RecordingSource

    p = tmp_path / "p.yaml"
    p.write_text("exercises: [lying_twist]\nintro_s: 1\n")
    a = write_answers(tmp_path / "a.yaml", screening=screening(), keys=[[3.0, "q"]])
    rec_path = tmp_path / "poses.npz"
    rc = main(["session", "--program", str(p), "--camera", str(clip), "--fast", "--no-window",
               "--out", str(tmp_path / "out"), "--answers", str(a), "--mute", "--record-landmarks", str(rec_path)])
    assert rc == 0, capsys.readouterr().err
    frames = list(RecordingSource(rec_path))
    assert 20 <= len(frames) <= 60 and sum(f.detected for f in frames) > 10
    assert not list((tmp_path / "out").glob("*.mp4"))  # no video unless asked


# --------------------------------------------------------------------------- the whole programme
PROGRAMME = ("lying_twist", "chair_extension", "cat_cow", "knee_to_chest", "seated_rotation", "passive_hang",
             "crossed_leg_rotation")


@pytest.fixture(scope="module")
def programme_video(tmp_path_factory) -> Path:
    """The seven good sample clips one after the other, each followed by 12 s of its last
    frame (the person waiting while the coach asks and introduces): one 12-minute "camera"."""
    clips = [committed(REPO / "samples" / ex / "good.mp4") for ex in PROGRAMME]
    d = tmp_path_factory.mktemp("programme")
    parts = []
    for ex, c in zip(PROGRAMME, clips):
        out = d / f"{ex}.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(c), "-vf", "tpad=start_mode=clone:start_duration=8:stop_mode=clone:stop_duration=12",
                        "-r", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True)
        parts.append(f"file '{out}'")
    (d / "list.txt").write_text("\n".join(parts) + "\n")
    video = d / "all.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(d / "list.txt"),
                    "-c", "copy", str(video)], check=True)
    return video


@pytest.mark.e2e
def test_whole_programme_hands_free_with_the_real_model(tmp_path, programme_video):
    """Issue 5's "done when": the seven exercises from one `coach session`, nothing pressed
    between them (unanswered symptom questions time out), a report at the end. Slow: the
    real model over ~7000 frames (about 3-5 minutes on two cores)."""
    home = tmp_path / "home"
    p = tmp_path / "p.yaml"
    p.write_text("exercises: [" + ", ".join(PROGRAMME) + "]\nintro_s: 3\nsymptom_timeout_s: 4\n")
    a = write_answers(tmp_path / "a.yaml", screening=screening())
    out = tmp_path / "out"
    env = {**os.environ, "COACH_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "coach", "session", "--program", str(p),
                           "--camera", str(programme_video), "--fast", "--no-window", "--out", str(out),
                           "--answers", str(a), "--lang", "en", "--mute"],
                          env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rec = _report(out)
    assert rec["ended_by"] == "completed", [(e["id"], e["status"]) for e in rec["exercises"]]
    assert [e["id"] for e in rec["exercises"]] == list(PROGRAMME)
    for ex in rec["exercises"]:
        assert ex["status"] == "done", ex["id"]
        assert ex["symptoms"]["how"] == "timeout"
        for phase, sides in ex["summary"]["holds_s"].items():
            min_s = ex["targets"][phase]["min_s"] or 0
            for side, held in sides.items():
                # The studio's clips hold 32-35 s and the coach needs ~1-2 s to see the
                # position is reached, so a 30 s minimum is met within about a second.
                assert held >= min_s - 1.0, (ex["id"], phase, side, held)
        for phase, sides in ex["summary"]["reps"].items():
            for side, n in sides.items():
                assert n >= (ex["targets"][phase]["min_reps"] or 1), (ex["id"], phase, side, n)
    # two-sided exercises were done on both sides
    for ex in rec["exercises"]:
        if ex["id"] in ("lying_twist", "seated_rotation", "crossed_leg_rotation"):
            (sides,) = ex["summary"]["holds_s"].values()
            assert set(sides) == {"left", "right"}, ex["id"]
    assert "Session report: Completed" in proc.stdout
