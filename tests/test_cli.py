"""The CLI in-process: error paths give one line and the documented exit code."""

from __future__ import annotations

import zipfile

import pytest

from coach.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_everywhere(capsys):
    for argv in ([], ["replay", "--help"], ["live", "--help"], ["exercises", "--help"]):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse exits 0 after --help
            code = exc.code
        out, _ = capsys.readouterr()
        assert "usage: coach" in out
        assert code in (0, 2)


def test_exercises_lists_all_seven(capsys):
    code, out, _ = run_cli(capsys, "exercises", "--lang", "en")
    assert code == 0
    for ex in ("lying_twist", "chair_extension", "cat_cow", "knee_to_chest", "seated_rotation",
               "passive_hang", "crossed_leg_rotation"):
        assert ex in out


def test_missing_video(capsys, tmp_path):
    code, _, err = run_cli(capsys, "replay", str(tmp_path / "nope.mp4"), "--exercise", "lying_twist",
                           "--out", str(tmp_path / "o"))
    assert code == 2
    assert err.startswith("coach: error: video not found") and err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_exercise_id(capsys, tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    code, _, err = run_cli(capsys, "replay", str(video), "--exercise", "yoga_headstand")
    assert code == 2
    assert "yoga_headstand" in err and "lying_twist" in err  # names the valid choices
    assert err.count("\n") == 1


@pytest.mark.parametrize("kind", ["missing", "truncated", "foreign"])
def test_bad_model_file(capsys, tmp_path, repo, kind):
    model = tmp_path / "pose.task"
    if kind == "truncated":
        model.write_bytes((repo / "models" / "pose_landmarker_full.task").read_bytes()[:4096])
    elif kind == "foreign":
        with zipfile.ZipFile(model, "w") as z:
            z.writestr("model.tflite", b"\0" * 100)
    video = tmp_path / "v.mp4"
    _write_tiny_video(video)
    code, _, err = run_cli(capsys, "replay", str(video), "--exercise", "lying_twist", "--model", str(model),
                           "--out", str(tmp_path / "o"))
    assert code == 3
    assert err.startswith("coach: error:") and str(model) in err and "build_pose_model.py" in err
    assert err.count("\n") == 1


def test_not_a_video(capsys, tmp_path):
    bogus = tmp_path / "holiday.mp4"
    bogus.write_text("definitely not a video\n" * 50)
    code, _, err = run_cli(capsys, "replay", str(bogus), "--exercise", "lying_twist", "--out", str(tmp_path / "o"))
    assert code == 2 and "not a video" in err


def test_bad_recording(capsys, tmp_path):
    rec = tmp_path / "r.npz"
    rec.write_bytes(b"PK\x03\x04 broken")
    code, _, err = run_cli(capsys, "replay", str(rec), "--exercise", "lying_twist", "--out", str(tmp_path / "o"))
    assert code == 2 and "r.npz" in err and err.count("\n") == 1


def test_unwritable_output_folder(capsys, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    rec = _tiny_recording(tmp_path)
    code, _, err = run_cli(capsys, "replay", str(rec), "--exercise", "lying_twist", "--out", str(blocker / "sub"))
    assert code == 2 and "output folder" in err


def _write_tiny_video(path):
    import cv2
    import numpy as np

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for _ in range(5):
        w.write(np.zeros((48, 64, 3), np.uint8))
    w.release()


def _tiny_recording(tmp_path):
    from coach.pose import PoseFrame
    from coach.vision.recording import RecordingWriter

    path = tmp_path / "tiny.npz"
    writer = RecordingWriter(path)
    for i in range(3):
        writer.add(PoseFrame.empty(i * 100.0, (640, 480)))
    writer.close()
    return path


def test_explain_in_both_languages(capsys):
    code, out_en, _ = run_cli(capsys, "explain", "lying_twist", "--lang", "en")
    assert code == 0 and "shoulder" in out_en.lower()
    code, out_nb, _ = run_cli(capsys, "explain", "lying_twist", "--lang", "nb")
    assert code == 0 and "skulder" in out_nb.lower() and out_nb != out_en


def test_check_spec_reports_file_line_field(capsys, tmp_path, repo):
    good = repo / "exercise_specs" / "cat_cow.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("names:", "namez:", 1), encoding="utf-8")
    code, out, err = run_cli(capsys, "check-spec", str(good), str(bad))
    assert code == 2
    assert f"{good}: ok" in out
    assert str(bad) in err and "namez" in err and ":" in err.split(str(bad), 1)[1][:6]


def test_measure_writes_csv_from_a_recording(capsys, tmp_path):
    import csv

    from coach.pose import PoseFrame
    from coach.vision.recording import RecordingWriter

    rec = tmp_path / "r.npz"
    writer = RecordingWriter(rec)
    for i in range(4):
        writer.add(PoseFrame.empty(i * 100.0, (640, 480)))
    writer.close()
    out = tmp_path / "m.csv"
    code, stdout, _ = run_cli(capsys, "measure", str(rec), "--exercise", "cat_cow", "--out", str(out))
    assert code == 0 and "4 frames" in stdout
    rows = list(csv.reader(out.open()))
    assert rows[0][0] == "timestamp_ms" and len(rows) == 5
    assert all(cell == "" for row in rows[1:] for cell in row[1:])  # nobody there: "can't see"


def test_python_dash_m_coach_is_the_same_command_line(tmp_path):
    import subprocess
    import sys

    version = subprocess.run([sys.executable, "-m", "coach", "--version"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("coach ")
    bad = subprocess.run([sys.executable, "-m", "coach", "explain", "nope"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("coach: error: nope: unknown exercise id")
    assert "Traceback" not in bad.stderr


def test_synth_is_loaded_lazily_and_needs_no_torch(capsys):
    import subprocess
    import sys

    probe = ("import sys; import coach.cli; "
             "heavy = sorted(m for m in ('torch', 'mediapipe', 'coach.synth', 'cv2') if m in sys.modules); "
             "print(heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
    code, out, _err = run_cli(capsys, "synth", "list")
    assert code == 0 and "lying_twist" in out and "shoulder_lifting" in out
