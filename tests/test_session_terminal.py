"""`coach session` and `coach screening` on a real terminal (a tmux pane, a real pty): every
screening question is on the screen before its answer is typed, then the session runs.

This is what a person sees: the commands that run the model send the native log lines
(file descriptor 2) to /dev/null, so nothing the person must read may go there."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from coach import i18n
from coach.session.safety import Screening
from tests.conftest import SAMPLES, cut_video
from needs import committed

pytestmark = pytest.mark.e2e

if shutil.which("tmux") is None:
    pytest.skip("tmux not installed", allow_module_level=True)


class Pane:
    """One detached tmux session (its own server socket) running one command."""

    def __init__(self, command: str, cwd: Path, env: dict[str, str]) -> None:
        self.socket = f"coach-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # the pane stays after the command so its last lines and exit code can be read
        script = f"cd {shlex.quote(str(cwd))} && env {exports} {command}; echo \"EXIT=$?\"; sleep 600"
        self._tmux("new-session", "-d", "-x", "120", "-y", "40", script)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=20).stdout

    def screen(self) -> str:
        """Everything the pane has shown (scroll-back included), wrapped lines joined."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-2000")

    def wait_for(self, text: str, timeout_s: float = 60.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"not on the screen after {timeout_s:.0f} s: {text!r}\n--- screen ---\n{self.screen()}")

    def type(self, line: str) -> None:
        self._tmux("send-keys", "-l", line)
        self._tmux("send-keys", "Enter")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


def coach_cmd(*args: str) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "coach", *args))


def answer_every_question(pane: Pane, lang: str, yes: set[str] = frozenset()) -> str:
    """Wait for each question on the screen, check the next one is not there yet, answer it."""
    questions = Screening().questions
    screen = ""
    for i, q in enumerate(questions):
        screen = pane.wait_for(q.text(lang))
        if i + 1 < len(questions):  # asked one at a time: the next one only after this answer
            assert questions[i + 1].text(lang) not in screen
        pane.type(("j" if lang == "nb" else "y") if q.id in yes else "n")
    return screen


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    src = committed(SAMPLES / "lying_twist" / "good.mp4")
    return cut_video(src, tmp_path_factory.mktemp("clip") / "lt.mp4", 30)


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_session_shows_every_screening_question_on_a_real_terminal(lang, tmp_path, short_clip):
    (tmp_path / "program.yaml").write_text("exercises: [lying_twist]\nintro_s: 1\n", encoding="utf-8")
    (tmp_path / "answers.yaml").write_text("keys: [[1.5, q]]\n", encoding="utf-8")  # no screening: asked here
    env = {"COACH_HOME": str(tmp_path / "home"), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    pane = Pane(coach_cmd("session", "--program", "program.yaml", "--answers", "answers.yaml", "--lang", lang,
                          "--camera", str(short_clip), "--fast", "--no-window", "--out", "out", "--mute"),
                tmp_path, env)
    try:
        first = pane.wait_for(i18n.t("screening.intro", lang))
        assert Screening().questions[0].text(lang) in pane.wait_for(Screening().questions[0].text(lang))
        assert i18n.t("cli.screening_needed", lang) in first
        answer_every_question(pane, lang)
        screen = pane.wait_for("EXIT=", timeout_s=180)
    finally:
        pane.close()
    assert "EXIT=0" in screen, screen
    # the answers were taken and stored, and the session ran after them
    assert (tmp_path / "home" / "screening.json").is_file()
    assert i18n.t("report.ended_by.stopped", lang) in screen, screen


def test_screening_command_shows_the_same_questions_and_a_blocking_yes(tmp_path):
    env = {"COACH_HOME": str(tmp_path / "home"), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    pane = Pane(coach_cmd("screening", "--lang", "en"), tmp_path, env)
    try:
        answer_every_question(pane, "en", yes={"osteoporosis"})
        screen = pane.wait_for("EXIT=", timeout_s=60)
    finally:
        pane.close()
    assert "EXIT=4" in screen, screen
    assert "physiotherapist or doctor" in screen
