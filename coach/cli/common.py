"""What the command modules share: exit codes, the one-line error, progress on a terminal,
the options every coaching command takes, and how a run is reported."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_INPUT, EXIT_MODEL, EXIT_BLOCKED, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
LANG_CHOICES = ("nb", "en")

# Event kinds listed after a replay.
LISTED_KINDS = ("cue", "praise", "phase", "side", "hold", "rep", "exercise", "cant_see")


def err(message: str) -> None:
    print(f"coach: error: {message}", file=sys.stderr)


def status(message: str) -> None:
    print(f"coach: {message}", file=sys.stderr, flush=True)


def ask(prompt: str) -> str:
    """Ask on the terminal: ``prompt`` on standard output, the answer line from standard
    input (EOFError at the end of input).

    Not ``input(prompt)``: without the readline module it writes the prompt to file
    descriptor 2, which the commands that run the model send to /dev/null (MediaPipe's
    native log lines), so the person would answer questions they cannot see."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def fmt_time(ms: float, lang: str = "en") -> str:
    """mm:ss.s, with the language's decimal mark (``01:05,3`` in Norwegian)."""
    from coach.i18n import number

    s = max(ms, 0.0) / 1000.0
    return f"{int(s // 60):02d}:{number(s % 60, lang, 1).zfill(4)}"


class Progress:
    """A one-line progress bar on a terminal (stderr); silent when not a terminal. Without a
    total it counts frames."""

    def __init__(self, total: int | None, enabled: bool = True) -> None:
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, stats) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        if self.total:
            frac = min(stats.frames / self.total, 1.0)
            bar = "#" * int(frac * 30)
            line = f"\r[{bar:<30}] {frac * 100:5.1f}%  {stats.frames}/{self.total} frames  {stats.fps:5.1f} fps"
        else:
            line = f"\r{stats.frames} frames  {stats.fps:5.1f} fps"
        sys.stderr.write(line)
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\r" + " " * 78 + "\r")
            sys.stderr.flush()


def add_run_options(p: argparse.ArgumentParser, lang_default: str, exercise_required: bool = True) -> None:
    """The options of every command that coaches an exercise: which one (an exercise id,
    or a spec file named by its path), the language, the profile, the model, the
    landmark recording, how many people."""
    which = p.add_mutually_exclusive_group(required=exercise_required)
    which.add_argument("--exercise", "-e", metavar="ID",
                       help="exercise id (see `coach exercises`); always one of the coach's exercises, "
                            "whatever files or folders are where you run it")
    which.add_argument("--spec", metavar="FILE", help="an exercise spec YAML file instead of an exercise id "
                                                     "(e.g. your own copy of one)")
    p.add_argument("--lang", choices=LANG_CHOICES, default=lang_default,
                   help=f"language of cues and text (default from the system locale: {lang_default})")
    p.add_argument("--profile", metavar="FILE", help="a physiotherapist's profile YAML overriding thresholds")
    p.add_argument("--model", metavar="PATH",
                   help="pose model .task bundle (default: the pose_landmarker_full.task shipped with coach)")
    p.add_argument("--record-landmarks", metavar="FILE.npz",
                   help="store every pose of the run in a landmark recording (replayable without the model)")
    p.add_argument("--max-people", type=int, default=1, choices=range(1, 6), metavar="N",
                   help="people the model looks for; the coach locks onto one (default 1)")
    add_mirrored_option(p)


def add_mirrored_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mirrored", action="store_true",
                   help="the camera mirrors the picture, like a selfie camera (the coach turns it back, so "
                        "left and right are yours)")


def run_options(args: argparse.Namespace):
    from coach.pipeline.runner import RunOptions

    return RunOptions(
        exercise=args.exercise,
        spec_file=getattr(args, "spec", None),
        lang=args.lang,
        profile=args.profile,
        model=args.model,
        out_dir=getattr(args, "out", None),
        video=getattr(args, "video", False),
        record_landmarks=args.record_landmarks,
        window=getattr(args, "window", False),
        mirror=getattr(args, "mirror", False),
        mirrored=getattr(args, "mirrored", False),
        max_people=args.max_people,
    )


def event_line(d: dict, lang: str) -> str | None:
    """One event of events.jsonl as a line: time, kind, side, text, all in ``lang``."""
    from coach import i18n

    text = d.get("text")
    if isinstance(text, dict):
        text = text.get(lang) or text.get("en") or next(iter(text.values()), "")
    if not text:
        return None
    kind = str(d.get("kind", ""))
    kind_key = f"replay.kind.{kind}"
    kind_s = i18n.t(kind_key, lang) if i18n.has_key(kind_key, lang) else kind
    side = d.get("side")
    side_s = f" [{i18n.t('side_word.' + side, lang)}]" if side in ("left", "right") else (f" [{side}]" if side else "")
    return f"  {fmt_time(d.get('timestamp_ms', 0.0), lang)}  {kind_s:<9}{side_s} {text}"


def read_event_lines(path: Path, lang: str, limit: int = 40) -> list[str]:
    lines = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            d = json.loads(raw)
            if d.get("kind") not in LISTED_KINDS:
                continue
            line = event_line(d, lang)
            if line:
                lines.append(line)
    if len(lines) > limit:
        lines = lines[: limit // 2] + [f"  ... {len(lines) - limit} more ..."] + lines[-limit // 2:]
    return lines


def _spec_of(exercise: str, spec=None):
    if spec is not None:
        return spec
    try:
        from coach.spec import load_spec

        return load_spec(exercise)
    except Exception:  # noqa: BLE001 - not a shipped exercise: its id will do
        return None


def _exercise_name(exercise: str, lang: str, spec=None) -> str:
    spec = _spec_of(exercise, spec)
    return (spec.names.get(lang) if spec is not None else None) or exercise


def _reached_lines(summary: dict, exercise: str, lang: str, spec=None) -> list[str]:
    """The holds (seconds per side) and reps of an engine summary as lines in ``lang``."""
    from coach import i18n

    spec = _spec_of(exercise, spec)
    names = {p.id: (p.names or {}).get(lang, p.id) for p in spec.phases} if spec is not None else {}
    lines = []
    for key, word in (("holds_s", "replay.holds"), ("reps", "replay.reps")):
        cells = []
        for phase, sides in (summary.get(key) or {}).items():
            for side, v in sides.items():
                who = i18n.t(f"side_word.{side}", lang) if side in ("left", "right") else names.get(phase, phase)
                amount = f"{i18n.number(v, lang, 1, trim=True)} s" if key == "holds_s" else str(v)
                cells.append(f"{who} {amount}")
        if cells:
            lines.append(f"{i18n.t(word, lang)}: {', '.join(cells)}")
    return lines


def print_run(result, exercise: str, quiet: bool, lang: str = "en", spec=None) -> None:
    """What a run did, in ``lang``: frames, tracking, speed, the cues by rule name, the files
    (``spec``: the exercise's spec, for its names; else the shipped spec of that id)."""
    from coach import i18n

    stats = result.stats
    speed = stats.media_s / stats.wall_s if stats.wall_s > 0 else 0.0
    n = lambda v, d=1: i18n.number(v, lang, d)  # noqa: E731
    print(i18n.t("replay.summary", lang, exercise=_exercise_name(exercise, lang, spec), frames=stats.frames,
                 tracked=n(stats.tracked_fraction * 100), media_s=n(stats.media_s), wall_s=n(stats.wall_s),
                 fps=n(stats.fps), speed=n(speed)))
    if not quiet:
        session = result.summary.get("session") or {}
        if isinstance(session, dict):
            for line in _reached_lines(session, exercise, lang, spec):
                print(line)
    for x in (result.summary.get("session") or {}).get("safety_loosened") or ():
        print(i18n.t("report.safety_loosened", lang, **{k: x.get(k, "") for k in ("rule", "field", "spec", "profile", "reason")}))
    cues = stats.cue_counts
    listed = ", ".join(f"{i18n.rule_name(exercise, k, lang)} ×{v}" for k, v in cues.items()) if cues \
        else i18n.t("replay.none", lang)
    print(f"{i18n.t('replay.cues', lang)}: {listed}")
    files = (("events", result.events_path), ("summary", result.summary_path), ("video", result.video_path),
             ("recording", result.recording_path))
    for key, path in files:
        if path:
            label = i18n.t(f"replay.file.{key}", lang, count=stats.events)
            print(f"{label} -> {path}")
