"""A wheel that works: built from the checkout, installed (not editable) into a fresh venv
outside it, and run from another folder: `coach exercises`, a landmark replay that gives
the same events as the checkout, and a short video through the shipped pose model.

The fresh venv gets the coach from the wheel only; its dependencies (mediapipe, numpy,
OpenCV, ...) come from this test run's own environment through a ``.pth`` line, so
nothing is downloaded but the build backend (pip's cache or the configured index).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "lying_twist" / "arms_not_t.landmarks.npz"
VIDEO = REPO / "samples" / "lying_twist" / "good.mp4"
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv*", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                     "samples", "runs", "out", "results", ".pytest_cache", ".hypothesis")

pytestmark = pytest.mark.e2e


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """(venv python, coach script, the wheel) with the coach installed from a fresh wheel."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(REPO, src, ignore=COPY_IGNORE)  # build from a copy: the checkout stays clean
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)], cwd=base, timeout=900)
    wheel = next(dist.glob("coach-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base)
                .stdout.strip())
    # this environment's packages as a fallback for the dependencies (after the venv's own)
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    _run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], cwd=base)
    return {"python": py, "coach": venv / "bin" / "coach", "wheel": wheel, "base": base}


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COACH_MODEL")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_wheel_ships_specs_model_catalogues_fonts_and_page(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for spec in (REPO / "exercise_specs").glob("*.yaml"):
        assert f"coach/data/exercise_specs/{spec.name}" in names
    assert "coach/data/models/pose_landmarker_full.task" in names
    assert {"coach/i18n/en.json", "coach/i18n/nb.json", "coach/ui/fonts/DejaVuSans.ttf",
            "coach/tools/tune/templates/page.html", "coach/__main__.py"} <= names
    assert {f"coach/ui/templates/{n}" for n in ("base.html", "report.css", "report.html", "history.html",
                                                "plots.html")} <= names
    assert not any(n.startswith(("tests/", "samples/", "exercise_specs/", "models/")) for n in names)


def test_installed_coach_runs_from_another_folder(installed, tmp_path):
    where = _run([str(installed["python"]), "-c", "import coach, coach.data as d; print(coach.__file__); "
                  "print(d.folder('exercise_specs')); print(d.folder('models'))"], cwd=tmp_path, env=_env()).stdout
    assert str(REPO) not in where and "site-packages" in where, where
    out = _run([str(installed["coach"]), "exercises", "--lang", "en"], cwd=tmp_path, env=_env()).stdout
    ids = [line.split()[0] for line in out.splitlines()]
    assert ids == sorted(p.stem for p in (REPO / "exercise_specs").glob("*.yaml")), out
    assert "Lying twist" in out
    version = _run([str(installed["python"]), "-m", "coach", "--version"], cwd=tmp_path, env=_env()).stdout
    assert version.startswith("coach ")


def test_installed_coach_renders_its_templates(installed, tmp_path):
    """The report, the history page and the workbench page from the wheel's templates."""
    code = ("import coach.templates as t, coach.ui.report as r, coach.tools.tune.page as p; "
            "print(t.__file__); "
            "rec = {'started_at': '2026-12-01T10:00:00', 'ended_by': 'completed', 'exercises': [{'id': 'cat_cow', "
            "'names': {'en': 'Cat <&> cow'}, 'status': 'done', 'summary': {'duration_s': 61}, 'cues': []}]}; "
            "print(r.render_html(rec, 'nb')); print(p.render_page('tok', 'Cat-cow', 'nb'))")
    out = _run([str(installed["python"]), "-c", code], cwd=tmp_path, env=_env()).stdout
    assert str(REPO) not in out.splitlines()[0] and "site-packages" in out.splitlines()[0], out[:300]
    assert "<h1>Treningsrapport</h1>" in out and "Cat &lt;&amp;&gt; cow" in out and "1:01" in out
    assert "coach tune — Cat-cow" in out and '"token": "tok"' in out


def test_installed_replay_gives_the_checkouts_events(installed, tmp_path):
    from coach.cli import main

    _run([str(installed["coach"]), "replay", str(SAMPLE), "--exercise", "lying_twist", "--out", "wheel", "-q"],
         cwd=tmp_path, env=_env())
    assert main(["replay", str(SAMPLE), "--exercise", "lying_twist", "--out", str(tmp_path / "checkout"), "-q"]) == 0
    read = lambda d: [json.loads(x) for x in (tmp_path / d / "events.jsonl").read_text(encoding="utf-8").splitlines()]  # noqa: E731
    wheel_events = read("wheel")
    assert wheel_events == read("checkout")
    assert [e["rule_id"] for e in wheel_events if e["kind"] == "cue"].count("arms_not_t") >= 1


def test_installed_coach_runs_the_shipped_model_on_a_video(installed, tmp_path):
    from conftest import cut_video

    short = cut_video(VIDEO, tmp_path / "short.mp4", 15)
    _run([str(installed["coach"]), "replay", str(short), "--exercise", "lying_twist", "--out", "video", "-q"],
         cwd=tmp_path, env=_env())
    summary = json.loads((tmp_path / "video" / "summary.json").read_text(encoding="utf-8"))
    assert summary["stats"]["frames"] == 15 and summary["stats"]["tracked_frames"] >= 10
