"""Voice: real espeak-ng renders in nb and en, the non-blocking worker, stale and
replaced cues, interruption by safety cues, missing engine, countdowns and chimes."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from coach.errors import CoachError
from coach.ui.voice import (
    Countdown,
    Priority,
    Voice,
    chime_samples,
    countdown_text,
    read_wav,
    render_wav,
    write_chime_wav,
)

SENTENCES = {
    "nb": "Hold begge skuldrene nede mot gulvet, og pust rolig",
    "en": "Keep both shoulders on the floor, and breathe calmly",
}


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


# --------------------------------------------------------------------------- real espeak-ng
@pytest.mark.gui
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_render_wav_real_espeak_is_speech_of_plausible_length(lang, tmp_path):
    text = SENTENCES[lang]
    path = render_wav(text, lang, tmp_path / f"{lang}.wav")
    samples, rate = read_wav(path)
    duration_s = len(samples) / rate
    words = len(text.split())
    assert 0.3 * words <= duration_s <= 1.0 * words, f"{duration_s:.2f} s for {words} words"
    assert _rms(samples) > 0.02  # not silence
    # Speech has pauses and bursts: the loudest 50 ms is far louder than the quietest.
    frame = rate // 20
    energies = [_rms(samples[i:i + frame]) for i in range(0, len(samples) - frame, frame)]
    assert max(energies) > 10 * (min(energies) + 1e-4)


@pytest.mark.gui
def test_render_wav_nb_and_en_differ_and_rate_matters(tmp_path):
    nb, rate = read_wav(render_wav("ti sekunder igjen", "nb", tmp_path / "nb.wav"))
    en, _ = read_wav(render_wav("ti sekunder igjen", "en", tmp_path / "en.wav"))
    assert len(nb) != len(en) or not np.allclose(nb, en)
    slow, _ = read_wav(render_wav("ti sekunder igjen", "nb", tmp_path / "slow.wav", rate_wpm=100))
    assert len(slow) > 1.3 * len(nb)


@pytest.mark.gui
def test_render_wav_text_starting_with_dash_is_spoken_not_an_option(tmp_path):
    samples, rate = read_wav(render_wav("-h hallo", "nb", tmp_path / "dash.wav"))
    assert len(samples) / rate > 0.3 and _rms(samples) > 0.02


def test_render_wav_missing_engine_raises_coach_error(tmp_path):
    with pytest.raises(CoachError, match="apt install espeak-ng"):
        render_wav("hei", "nb", tmp_path / "x.wav", engine="no-such-speech-engine-xyz")


@pytest.mark.gui
def test_voice_speaks_through_real_espeak_ng():
    with Voice(lang="nb") as voice:
        assert voice.available and voice.warning is None
        assert voice.say("Bra jobbet", Priority.COUNT)
        assert voice.wait_idle(10.0)
        assert ("spoken", "Bra jobbet") in voice.history


# --------------------------------------------------------------------------- worker (fake engine)
@pytest.fixture
def fake_slow_engine(tmp_path):
    """An executable standing in for espeak-ng ONLY in the non-blocking worker tests: it
    logs the text it gets on stdin, then takes ``speak_s`` seconds to "speak" it."""

    def make(speak_s: float) -> tuple[str, Path]:
        log_path = tmp_path / "spoken.log"
        exe = tmp_path / f"fake_slow_espeak_{int(speak_s * 1000)}ms"
        # one write per utterance (text + newline), so a kill cannot split a line
        exe.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$(cat)\" >> '{log_path}'\nexec sleep {speak_s}\n")
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        return str(exe), log_path

    return make


def _wait_speaking(voice: Voice, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if voice._proc is not None:
            return
        time.sleep(0.002)
    raise AssertionError("the worker never started speaking")


def _spoken_lines(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text(encoding="utf-8").splitlines() if line] if log_path.exists() else []


def test_say_never_blocks_while_speaking(fake_slow_engine):
    exe, _ = fake_slow_engine(1.0)
    with Voice(lang="nb", engine=exe) as voice:
        voice.say("første beskjed")
        _wait_speaking(voice)
        worst_ms = 0.0
        for i in range(50):
            t0 = time.perf_counter()
            voice.say(f"beskjed {i}", Priority.FORM)
            worst_ms = max(worst_ms, (time.perf_counter() - t0) * 1000)
        assert worst_ms < 5.0, f"say() took {worst_ms:.2f} ms"


def test_newer_cue_replaces_pending_one(fake_slow_engine):
    exe, log_path = fake_slow_engine(0.3)
    with Voice(lang="nb", engine=exe, max_age_s=5.0) as voice:
        voice.say("A")
        _wait_speaking(voice)
        voice.say("B")
        voice.say("C")
        assert voice.wait_idle(5.0)
    assert _spoken_lines(log_path) == ["A", "C"]
    assert ("replaced", "B") in voice.history


def test_stale_cue_is_dropped(fake_slow_engine):
    exe, log_path = fake_slow_engine(0.5)
    with Voice(lang="en", engine=exe, max_age_s=0.2) as voice:
        voice.say("A")
        _wait_speaking(voice)
        voice.say("B")  # waits 0.5 s behind A: older than 0.2 s when its turn comes
        assert voice.wait_idle(5.0)
    assert _spoken_lines(log_path) == ["A"]
    assert ("stale", "B") in voice.history


def test_out_of_date_timestamp_is_dropped(fake_slow_engine):
    exe, log_path = fake_slow_engine(0.3)
    with Voice(lang="nb", engine=exe, max_age_s=5.0) as voice:
        voice.say("A", timestamp_ms=0)
        _wait_speaking(voice)
        assert voice.say("new", timestamp_ms=2000)
        assert not voice.say("old", timestamp_ms=1000)
        assert voice.wait_idle(5.0)
    assert _spoken_lines(log_path) == ["A", "new"]


def test_lower_priority_does_not_replace_pending_safety_cue(fake_slow_engine):
    exe, log_path = fake_slow_engine(0.3)
    with Voice(lang="nb", engine=exe, max_age_s=5.0, interrupt_priority="safety") as voice:
        voice.say("A", Priority.SAFETY)
        _wait_speaking(voice)
        assert voice.say("Stopp", Priority.SAFETY)
        assert not voice.say("ti sekunder igjen", Priority.COUNT)
        assert voice.wait_idle(5.0)
    assert _spoken_lines(log_path) == ["A", "Stopp"]
    assert ("dropped", "ti sekunder igjen") in voice.history


def test_safety_cue_interrupts_lower_priority_speech(fake_slow_engine):
    exe, log_path = fake_slow_engine(3.0)
    with Voice(lang="nb", engine=exe, max_age_s=5.0) as voice:
        voice.say("Roligere, følg pusten", Priority.PACE)
        _wait_speaking(voice)
        deadline = time.monotonic() + 3.0  # until the fake engine has read the text
        while time.monotonic() < deadline and not _spoken_lines(log_path):
            time.sleep(0.005)
        t0 = time.monotonic()
        voice.say("Stopp", Priority.SAFETY)
        deadline = t0 + 2.0
        while time.monotonic() < deadline and len(_spoken_lines(log_path)) < 2:
            time.sleep(0.01)
        assert _spoken_lines(log_path) == ["Roligere, følg pusten", "Stopp"]
        assert time.monotonic() - t0 < 1.0  # did not wait for the 3 s utterance
        assert ("interrupted", "Roligere, følg pusten") in voice.history
        voice.stop_speaking()


def test_form_cue_does_not_interrupt(fake_slow_engine):
    exe, log_path = fake_slow_engine(0.6)
    with Voice(lang="nb", engine=exe, max_age_s=5.0) as voice:
        voice.say("A", Priority.COUNT)
        _wait_speaking(voice)
        voice.say("B", Priority.FORM)
        assert voice.wait_idle(5.0)
    assert ("spoken", "A") in voice.history and ("spoken", "B") in voice.history


def test_close_stops_worker_and_cuts_off_speech(fake_slow_engine):
    exe, _ = fake_slow_engine(5.0)
    voice = Voice(lang="nb", engine=exe)
    voice.say("lang beskjed")
    _wait_speaking(voice)
    proc = voice._proc
    t0 = time.monotonic()
    voice.close()
    assert time.monotonic() - t0 < 2.0
    assert not voice._thread.is_alive()
    assert proc is not None and proc.poll() is not None
    assert voice.say("etter lukking") is False


def test_muted_voice_speaks_nothing(fake_slow_engine):
    exe, log_path = fake_slow_engine(0.1)
    with Voice(lang="nb", engine=exe, muted=True) as voice:
        assert voice.say("hei") is False
        assert voice.last_text == "hei"
        assert voice.wait_idle(1.0)
    assert _spoken_lines(log_path) == []
    assert ("muted", "hei") in voice.history


def test_missing_engine_one_warning_no_exception(caplog):
    with caplog.at_level(logging.WARNING, logger="coach.ui.voice"):
        voice = Voice(lang="nb", engine="no-such-speech-engine-xyz")
        results = [voice.say(f"beskjed {i}", Priority.SAFETY) for i in range(5)]
        voice.chime("start")
        voice.close()
    assert results == [False] * 5
    assert not voice.available
    assert voice.last_text == "beskjed 4"  # the session shows it as text instead
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "no-such-speech-engine-xyz" in warnings[0].getMessage()
    assert voice.warning == warnings[0].getMessage()


def test_constructor_validates_arguments():
    with pytest.raises(ValueError, match="volume must be in 0..200, got 300"):
        Voice(volume=300, engine="no-such-speech-engine-xyz")
    with pytest.raises(ValueError, match="rate_wpm"):
        Voice(rate_wpm=10, engine="no-such-speech-engine-xyz")
    with pytest.raises(CoachError, match="expecting one of"):
        Voice(lang="de", engine="no-such-speech-engine-xyz")
    with pytest.raises(ValueError, match="expecting one of"):
        Priority.parse("urgent")


# --------------------------------------------------------------------------- countdowns
def test_countdown_fires_each_mark_once():
    cd = Countdown(30.0, marks_s=(10, 5))
    assert cd.update(5.0) is None
    assert cd.update(19.9) is None
    assert cd.update(20.0) == 10
    assert cd.update(21.0) is None
    assert cd.update(25.2) == 5
    assert cd.update(29.0) is None
    cd.reset()
    assert cd.update(28.0) == 5  # both crossed at once: only the latest


def test_countdown_skips_marks_beyond_the_target():
    cd = Countdown(5.0, marks_s=(10, 5, 3))
    assert cd.marks_s == (3,)
    assert cd.update(2.5) == 3


def test_countdown_text():
    assert countdown_text(10, "nb") == "10 sekunder igjen"
    assert countdown_text(5, "en") == "5 seconds left"
    assert countdown_text(1, "nb") == "ett sekund igjen"


@pytest.mark.gui
def test_countdown_spoken_in_norwegian(tmp_path):
    samples, rate = read_wav(render_wav(countdown_text(10, "nb"), "nb", tmp_path / "cd.wav"))
    assert 0.9 <= len(samples) / rate <= 3.0 and _rms(samples) > 0.02


# --------------------------------------------------------------------------- chimes
def _dominant_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spec)])


@pytest.mark.parametrize("kind, rising", [("start", True), ("stop", False)])
def test_chime_is_short_tone_in_the_right_direction(kind, rising, tmp_path):
    path = write_chime_wav(kind, tmp_path / f"{kind}.wav")
    samples, rate = read_wav(path)
    assert 0.2 <= len(samples) / rate <= 0.5
    assert _rms(samples) > 0.03
    assert abs(samples[0]) < 0.01 and abs(samples[-1]) < 0.01  # no click
    half = len(samples) // 2
    first, second = _dominant_hz(samples[:half], rate), _dominant_hz(samples[half:], rate)
    assert (second > first) if rising else (second < first)


def test_chime_volume_scales_and_zero_is_silent():
    loud, soft = chime_samples("start", volume=100), chime_samples("start", volume=50)
    assert np.abs(loud).max() == pytest.approx(2 * np.abs(soft).max(), rel=0.02)
    assert np.abs(chime_samples("start", volume=0)).max() == 0
    with pytest.raises(ValueError, match="unknown chime"):
        chime_samples("boom")


def test_chime_without_player_is_skipped_silently(fake_slow_engine):
    exe, _ = fake_slow_engine(0.1)
    with Voice(lang="nb", engine=exe, player=None) as voice:
        assert voice.chime("start") is False
        assert voice.say("hei")  # speech still works
        assert voice.wait_idle(3.0)


def test_chime_played_through_player(tmp_path, fake_slow_engine):
    exe, _ = fake_slow_engine(0.1)
    played = tmp_path / "played.log"
    player = tmp_path / "fake_player"
    player.write_text(f"#!/bin/sh\necho \"$1\" >> '{played}'\n")
    player.chmod(player.stat().st_mode | stat.S_IXUSR)
    with Voice(lang="nb", engine=exe, player=[str(player)]) as voice:
        assert voice.chime("start")
        assert voice.wait_idle(3.0)
        wav = played.read_text().strip()
        samples, _ = read_wav(wav)
        assert _rms(samples) > 0.03
    assert not os.path.exists(wav)  # the temp chimes are cleaned up on close
