"""Spoken cues: espeak-ng in a background worker that never blocks frame processing.

    voice = Voice(lang="nb")                 # starts the worker thread
    voice.say("Hold begge skuldrene nede", Priority.FORM, timestamp_ms=frame.timestamp_ms)
    voice.chime("start")
    voice.close()

- ``say()`` only hands the text to the worker and returns (microseconds).
- One utterance at a time; at most ONE is pending. A newer cue replaces the pending one
  (unless the pending one has a higher priority); a pending cue that waited longer than
  ``max_age_s`` is dropped as stale; a cue with ``timestamp_ms`` older than the pending
  one is dropped as out of date.
- A cue of priority >= ``interrupt_priority`` (safety by default) cuts off a lower-
  priority utterance that is being spoken.
- Without the speech engine the voice degrades to text (``say`` returns False; the
  session shows ``last_text``) with ONE warning through ``logging`` (also in ``warning``).
- Chimes are short tones made with numpy, played with paplay / aplay / play (sox) when
  one exists, else skipped silently; ``write_chime_wav`` renders them for tests.

``render_wav(text, lang, path)`` runs ``espeak-ng -w`` synchronously (reports, tests).

``transcript``: a file to which every cue is written as a JSON line the moment it is
handed over (``"queued"``, or why it was not: ``"muted"``, ``"no_engine"``, …) and again
with what became of it (``"spoken"``, ``"replaced"``, ``"stale"``, …): what the coach
would say, for tests of whole commands (``$COACH_SPEECH_LOG``, see
:func:`coach.pipeline.runner.make_voice`) and for checking a run afterwards.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np

from coach import i18n
from coach.errors import CoachError

log = logging.getLogger(__name__)

# Language -> espeak-ng voice name.
VOICES: dict[str, str] = {"nb": "nb", "en": "en"}
DEFAULT_RATE_WPM = 160  # a little slower than espeak-ng's 175: calm, clear cues
CHIME_SAMPLE_RATE = 22050
CHIME_KINDS: tuple[str, ...] = ("start", "stop", "done")
PLAYERS: tuple[tuple[str, ...], ...] = (("paplay",), ("aplay", "-q"), ("play", "-q"))


class Priority(IntEnum):
    """Cue priority, as in the cue selector: safety > setup > form > pace > count."""

    COUNT = 0
    PACE = 1
    FORM = 2
    SETUP = 3
    SAFETY = 4

    @classmethod
    def parse(cls, value: "Priority | int | str") -> "Priority":
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                names = ", ".join(p.name.lower() for p in cls)
                raise ValueError(f"priority: unknown {value!r}, expecting one of [{names}]") from None
        return cls(int(value))


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    priority: Priority
    timestamp_ms: float | None
    enqueued_s: float  # monotonic clock when say() was called


# --------------------------------------------------------------------------- chimes / wav
def chime_samples(kind: str = "start", sample_rate: int = CHIME_SAMPLE_RATE, volume: int = 100) -> np.ndarray:
    """A short chime as int16 mono samples: ``start`` rises (660 → 880 Hz), ``stop``
    falls (880 → 660 Hz), ``done`` is three rising notes. Each note 0.14 s with a soft
    attack, decay and release (no clicks)."""
    notes = {"start": (660.0, 880.0), "stop": (880.0, 660.0), "done": (660.0, 830.0, 990.0)}
    if kind not in notes:
        raise ValueError(f"kind: unknown chime {kind!r}, expecting one of {list(CHIME_KINDS)}")
    _check_volume(volume)
    note_s = 0.14
    n = int(sample_rate * note_s)
    t = np.arange(n) / sample_rate
    env = np.minimum(1.0, t / 0.01) * np.exp(-t / 0.06) * np.clip((note_s - t) / 0.03, 0.0, 1.0)
    parts = []
    for f in notes[kind]:
        tone = np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t)
        parts.append(tone * env)
    wave_f = np.concatenate(parts) / 1.3
    amp = 0.45 * min(volume, 200) / 100.0
    return np.clip(wave_f * amp * 32767, -32768, 32767).astype(np.int16)


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> Path:
    """Write int16 mono ``samples`` as a WAV file."""
    path = Path(path)
    data = np.asarray(samples, dtype=np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(data.tobytes())
    return path


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples as float32 in [-1, 1], sample_rate) of a 16-bit PCM WAV (mono or first channel)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise CoachError(f"{path}: expected 16-bit PCM WAV, got {8 * w.getsampwidth()}-bit")
        rate, channels = w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)[:, 0]
    return data.astype(np.float32) / 32768.0, rate


def write_chime_wav(kind: str, path: str | Path, volume: int = 100) -> Path:
    return write_wav(path, chime_samples(kind, CHIME_SAMPLE_RATE, volume), CHIME_SAMPLE_RATE)


def find_player() -> list[str] | None:
    """argv prefix of the first audio player found (paplay, aplay, play), or None."""
    for argv in PLAYERS:
        exe = shutil.which(argv[0])
        if exe:
            return [exe, *argv[1:]]
    return None


# --------------------------------------------------------------------------- espeak-ng
def _check_volume(volume: int) -> None:
    if not 0 <= int(volume) <= 200:
        raise ValueError(f"volume must be in 0..200, got {volume}")


def _check_rate(rate_wpm: int) -> None:
    if not 80 <= int(rate_wpm) <= 450:
        raise ValueError(f"rate_wpm must be in 80..450, got {rate_wpm}")


def espeak_argv(exe: str, lang: str, volume: int, rate_wpm: int, wav_path: str | Path | None = None) -> list[str]:
    """espeak-ng arguments; the text goes on stdin as UTF-8 (never on the command line,
    so a cue starting with "-" cannot become an option)."""
    argv = [exe, "-v", VOICES[i18n.check_lang(lang)], "-a", str(int(volume)), "-s", str(int(rate_wpm)), "-b", "1"]
    if wav_path is not None:
        argv += ["-w", str(wav_path)]
    return argv


def render_wav(text: str, lang: str, path: str | Path, engine: str = "espeak-ng",
               rate_wpm: int = DEFAULT_RATE_WPM, volume: int = 100, timeout_s: float = 60.0) -> Path:
    """Speak ``text`` into a WAV file with ``espeak-ng -w`` (blocking). Raises CoachError
    if the engine is missing or fails."""
    _check_volume(volume)
    _check_rate(rate_wpm)
    exe = shutil.which(engine)
    if exe is None:
        raise CoachError(f"speech engine {engine!r} not found; install it with: sudo apt install espeak-ng")
    path = Path(path)
    proc = subprocess.run(espeak_argv(exe, lang, volume, rate_wpm, path), input=text.encode("utf-8"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout_s, check=False)
    if proc.returncode != 0 or not path.is_file():
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise CoachError(f"{engine} failed to render speech ({proc.returncode}): {err[0]}")
    return path


# --------------------------------------------------------------------------- countdowns
class Countdown:
    """Which countdown cue is due as a hold runs: each mark (seconds left) fires once,
    when the hold crosses it. Marks not below the target never fire (no "10 seconds
    left" in a 5-second hold). State only; speaking is the Voice's job."""

    def __init__(self, target_s: float, marks_s: tuple[int, ...] = (10, 5)) -> None:
        if target_s <= 0:
            raise ValueError(f"target_s must be > 0, got {target_s}")
        self.target_s = float(target_s)
        self.marks_s = tuple(sorted({int(m) for m in marks_s if 0 < m < target_s}, reverse=True))
        self._fired: set[int] = set()

    def reset(self) -> None:
        self._fired.clear()

    def update(self, hold_s: float) -> int | None:
        """The mark crossed by ``hold_s`` (seconds left) that has not fired yet, else None.
        When several were crossed at once only the latest (smallest) is returned."""
        left = self.target_s - hold_s
        due = [m for m in self.marks_s if left <= m and m not in self._fired]
        if not due:
            return None
        self._fired.update(due)
        return min(due)


def countdown_text(seconds_left: int, lang: str) -> str:
    """"10 sekunder igjen" / "10 seconds left" ("ett sekund igjen" for 1)."""
    if int(seconds_left) == 1:
        return i18n.t("countdown.one_second_left", lang)
    return i18n.t("countdown.seconds_left", lang, seconds=int(seconds_left))


# --------------------------------------------------------------------------- the voice
class Voice:
    """Non-blocking speech sink (see the module doc).

    ``volume`` 0..200 (espeak-ng amplitude, 100 = normal; also scales chimes),
    ``rate_wpm`` words per minute, ``max_age_s`` how long a cue may wait before it is
    dropped as stale, ``player`` "auto" (paplay / aplay / play), None (no chimes) or an
    argv prefix to which the WAV path is appended.

    ``history`` records what happened to each cue: ("spoken" | "replaced" | "stale" |
    "out_of_date" | "dropped" | "interrupted" | "failed" | "muted" | "no_engine", text).
    """

    def __init__(self, lang: str = "nb", engine: str = "espeak-ng", muted: bool = False,
                 volume: int = 100, rate_wpm: int = DEFAULT_RATE_WPM, max_age_s: float = 3.0,
                 interrupt_priority: Priority | int | str = Priority.SAFETY,
                 player: list[str] | str | None = "auto", clock: Callable[[], float] = time.monotonic,
                 transcript: str | Path | None = None) -> None:
        self.lang = i18n.check_lang(lang)
        _check_volume(volume)
        _check_rate(rate_wpm)
        if max_age_s <= 0:
            raise ValueError(f"max_age_s must be > 0, got {max_age_s}")
        self.engine = engine
        self.muted = bool(muted)
        self.volume = int(volume)
        self.rate_wpm = int(rate_wpm)
        self.max_age_s = float(max_age_s)
        self.interrupt_priority = Priority.parse(interrupt_priority)
        self._clock = clock
        if player == "auto":
            self._player = find_player()
        elif player is None or isinstance(player, list):
            self._player = player
        else:
            raise ValueError(f"player must be 'auto', None or an argv list, got {player!r}")
        self.last_text: str | None = None
        self.warning: str | None = None
        self.history: deque[tuple[str, str]] = deque(maxlen=200)
        self._transcript_lock = threading.Lock()
        self._transcript = None
        if transcript:
            try:
                self._transcript = open(transcript, "a", encoding="utf-8", buffering=1)
            except OSError as exc:
                raise CoachError(f"cannot write the speech transcript {transcript}: {exc.strerror or exc}") from None

        self._cond = threading.Condition()
        self._pending: Utterance | None = None
        self._pending_chimes: deque[str] = deque(maxlen=2)
        self._current: Utterance | None = None
        self._proc: subprocess.Popen | None = None
        self._closed = False
        self._chime_dir: Path | None = None

        self._exe = shutil.which(engine)
        if self._exe is None:
            self.warning = i18n.t("cli.no_voice", self.lang, engine=engine)
            log.warning(self.warning)
        self._thread = threading.Thread(target=self._run, name="coach-voice", daemon=True)
        self._thread.start()

    # -- public API --------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """True when the speech engine was found."""
        return self._exe is not None

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._current is not None or self._pending is not None or bool(self._pending_chimes)

    def say(self, text: str, priority: Priority | int | str = Priority.FORM,
            timestamp_ms: float | None = None) -> bool:
        """Queue ``text`` to be spoken; never blocks. True if it was queued."""
        prio = Priority.parse(priority)
        self.last_text = text
        if not text.strip():
            return False
        with self._cond:
            if self._closed:
                return False
            if self._exe is None:
                self._note("no_engine", text)
                return False
            if self.muted:
                self._note("muted", text)
                return False
            utt = Utterance(text, prio, timestamp_ms, self._clock())
            pending = self._pending
            if pending is not None:
                if (timestamp_ms is not None and pending.timestamp_ms is not None
                        and timestamp_ms < pending.timestamp_ms):
                    self._note("out_of_date", text)
                    return False
                if prio < pending.priority:
                    self._note("dropped", text)
                    return False
                self._note("replaced", pending.text)
            self._pending = utt
            self._write_transcript("queued", text, prio)
            current = self._current
            if (current is not None and prio >= self.interrupt_priority and prio > current.priority
                    and self._proc is not None):
                self._terminate(self._proc)
            self._cond.notify_all()
            return True

    def chime(self, kind: str = "start") -> bool:
        """Queue a chime (played before the next utterance); False when no player."""
        if kind not in CHIME_KINDS:
            raise ValueError(f"kind: unknown chime {kind!r}, expecting one of {list(CHIME_KINDS)}")
        with self._cond:
            if self._closed or self.muted or self._player is None:
                return False
            self._pending_chimes.append(kind)
            self._cond.notify_all()
            return True

    def stop_speaking(self) -> None:
        """Drop what is pending and cut off the current utterance (e.g. on pause)."""
        with self._cond:
            self._pending = None
            self._pending_chimes.clear()
            if self._proc is not None:
                self._terminate(self._proc)

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Block until nothing is pending or playing (for tests and shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._current is not None or self._pending is not None or self._pending_chimes:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the worker: drop pending cues, cut off speech, join the thread."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._pending_chimes.clear()
            if self._proc is not None:
                self._terminate(self._proc)
            self._cond.notify_all()
        self._thread.join(timeout_s)
        with self._transcript_lock:
            if self._transcript is not None:
                self._transcript.close()
                self._transcript = None
        if self._chime_dir is not None:
            shutil.rmtree(self._chime_dir, ignore_errors=True)
            self._chime_dir = None

    def __enter__(self) -> "Voice":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what happened to each cue -------------------------------------------------------
    def _note(self, what: str, text: str) -> None:
        self.history.append((what, text))
        self._write_transcript(what, text)

    def _write_transcript(self, what: str, text: str, priority: Priority | None = None) -> None:
        if self._transcript is None:
            return
        entry = {"what": what, "text": text, "lang": self.lang}
        if priority is not None:
            entry["priority"] = priority.name.lower()
        with self._transcript_lock:
            try:
                self._transcript.write(json.dumps(entry, ensure_ascii=False) + "\n")
            except (OSError, ValueError):  # a full disk or a closed file must not stop the voice
                pass

    # -- worker ------------------------------------------------------------------------
    @staticmethod
    def _terminate(proc: subprocess.Popen) -> None:
        try:
            proc.terminate()
        except OSError:
            pass

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._pending_chimes and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                if self._pending_chimes:
                    chime, utt = self._pending_chimes.popleft(), None
                    self._current = Utterance(f"<chime {chime}>", Priority.COUNT, None, self._clock())
                else:
                    chime, utt = None, self._pending
                    self._pending = None
                    assert utt is not None
                    if self._clock() - utt.enqueued_s > self.max_age_s:
                        self._note("stale", utt.text)
                        self._cond.notify_all()
                        continue
                    self._current = utt
            try:
                if chime is not None:
                    self._play_chime(chime)
                elif utt is not None:
                    self._speak(utt)
            except Exception as exc:  # the worker must survive anything
                log.warning("voice: %s", exc)
                if utt is not None:
                    self._note("failed", utt.text)
            finally:
                with self._cond:
                    self._current = None
                    self._proc = None
                    self._cond.notify_all()

    def _start(self, argv: list[str], stdin_data: bytes | None) -> subprocess.Popen | None:
        with self._cond:
            if self._closed:
                return None
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._proc = proc
        if stdin_data is not None and proc.stdin is not None:
            try:
                proc.stdin.write(stdin_data)
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
        return proc

    def _speak(self, utt: Utterance) -> None:
        assert self._exe is not None
        argv = espeak_argv(self._exe, self.lang, self.volume, self.rate_wpm)
        proc = self._start(argv, utt.text.encode("utf-8"))
        if proc is None:
            return
        rc = proc.wait()
        if rc == 0:
            self._note("spoken", utt.text)
        elif rc < 0:
            self._note("interrupted", utt.text)
        else:
            self._note("failed", utt.text)

    def _play_chime(self, kind: str) -> None:
        if self._player is None:
            return
        if self._chime_dir is None:
            self._chime_dir = Path(tempfile.mkdtemp(prefix="coach-chimes-"))
        path = self._chime_dir / f"{kind}-{self.volume}.wav"
        if not path.exists():
            write_chime_wav(kind, path, self.volume)
        proc = self._start([*self._player, str(path)], None)
        if proc is not None:
            proc.wait()
