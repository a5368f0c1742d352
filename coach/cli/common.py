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


def fmt_time(ms: float) -> str:
    s = max(ms, 0.0) / 1000.0
    return f"{int(s // 60):02d}:{s % 60:04.1f}"


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
    """One event of events.jsonl as a line: time, kind, side, text in ``lang``."""
    text = d.get("text")
    if isinstance(text, dict):
        text = text.get(lang) or text.get("en") or next(iter(text.values()), "")
    if not text:
        return None
    side = d.get("side")
    side_s = f" [{side}]" if side else ""
    return f"  {fmt_time(d.get('timestamp_ms', 0.0))}  {d.get('kind', ''):<8}{side_s} {text}"


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


def print_run(result, exercise: str, quiet: bool) -> None:
    stats = result.stats
    speed = stats.media_s / stats.wall_s if stats.wall_s > 0 else 0.0
    print(f"{exercise}: {stats.frames} frames, person tracked in {stats.tracked_fraction * 100:.1f} %, "
          f"{stats.media_s:.1f} s of video in {stats.wall_s:.1f} s ({stats.fps:.1f} fps, {speed:.1f}x real time)")
    if not quiet:
        session = result.summary.get("session") or {}
        for key in ("holds", "reps", "sides"):
            if session.get(key):
                print(f"{key}: {session[key]}")
    cues = stats.cue_counts
    print("cues: " + (", ".join(f"{k} x{v}" for k, v in cues.items()) if cues else "none"))
    if result.events_path:
        print(f"events ({stats.events}) -> {result.events_path}")
    if result.summary_path:
        print(f"summary -> {result.summary_path}")
    if result.video_path:
        print(f"annotated video -> {result.video_path}")
    if result.recording_path:
        print(f"landmark recording -> {result.recording_path}")
