"""Which events are spoken, at which priority, and how one frame's texts become one utterance.

``VoiceAdapter`` sits between the events of a run (the engine's and the guided session's)
and a :class:`coach.ui.voice.Voice`.
"""

from __future__ import annotations

# Spoken priority of each event (the voice's Priority names).
SEVERITY_PRIORITY = {"safety": "safety", "setup": "setup", "form": "form", "pace": "pace", "count": "count"}


def event_priority(event) -> str | None:
    """The voice priority of an event, or None when it is not spoken."""
    kind = getattr(event, "kind", "")
    if not getattr(event, "text", None):
        return None
    if kind in ("cue", "praise"):
        return SEVERITY_PRIORITY.get(event.severity or "form", "form")
    if kind in ("cant_see", "framing", "intro", "pause", "skip"):
        return "setup"
    if kind in ("symptoms", "excluded", "warning"):
        return "safety"
    if kind == "session":
        return "safety" if event.data.get("state") == "end" and event.data.get("ended_by") != "completed" else "setup"
    if kind in ("phase", "side"):
        return "setup"
    if kind == "hold":
        return "count"
    if kind == "rep":
        return "count"
    if kind == "exercise" and event.data.get("state") == "done":
        return "count"
    return None


class VoiceAdapter:
    """Speaks the session's events through a coach.ui.voice.Voice (or anything with
    ``say(text, priority, timestamp_ms)`` and ``chime(kind)``), text in ``lang``.

    Use it as the pipeline's ``on_event`` AND as a sink: the texts of one frame are
    joined into ONE utterance at the highest priority among them (said in ``write``,
    after the frame's events), so "welcome", "X is skipped because ..." and the first
    exercise's introduction are all heard instead of replacing each other."""

    _ORDER = ("count", "pace", "form", "setup", "safety")

    def __init__(self, voice, lang: str) -> None:
        self.voice = voice
        self.lang = lang
        self.spoken: list[tuple[float, str, str]] = []  # (timestamp_ms, priority, text) handed to the voice
        self._pending: list[tuple[float, str, str]] = []

    def __call__(self, event) -> None:
        chime = (getattr(event, "data", None) or {}).get("chime")
        if chime:
            try:
                self.voice.chime(chime)
            except Exception:
                pass
        prio = event_priority(event)
        if prio is None:
            return
        text = (event.text.get(self.lang) or "").strip()
        if not text:
            return
        self._pending.append((event.timestamp_ms, prio, text))

    def flush(self) -> None:
        if not self._pending:
            return
        items, self._pending = self._pending, []
        prio = max((p for _t, p, _x in items), key=self._ORDER.index)
        texts: list[str] = []
        for _t, _p, x in items:
            if x not in texts:
                texts.append(x)
        if len(texts) > 1:  # sentences, so the speech pauses between them
            texts = [x if x[-1:] in ".!?…" else x + "." for x in texts]
        text = " ".join(texts)
        self.spoken.append((items[-1][0], prio, text))
        self.voice.say(text, prio, timestamp_ms=items[-1][0])

    def write(self, step) -> None:
        self.flush()

    def close(self) -> None:
        self.flush()
