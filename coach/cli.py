"""The `coach` command line. Only this module prints and exits.

Every user mistake ends in one line on stderr, `coach: error: ...`, and a non-zero exit
code (2 bad input, 3 unusable model, 130 interrupted); never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from . import __version__
from .errors import CoachError

EXIT_OK, EXIT_INPUT, EXIT_MODEL, EXIT_INTERRUPTED = 0, 2, 3, 130


def _default_lang() -> str:
    try:
        from .i18n import default_lang

        return default_lang()
    except Exception:  # the catalogue module is optional for the CLI's own parsing
        return "en"


# --------------------------------------------------------------------------- output helpers
def _err(message: str) -> None:
    print(f"coach: error: {message}", file=sys.stderr)


def _fmt_time(ms: float) -> str:
    s = max(ms, 0.0) / 1000.0
    return f"{int(s // 60):02d}:{s % 60:04.1f}"


class Progress:
    """A one-line progress bar on a terminal (stderr); silent when not a terminal."""

    def __init__(self, total: int | None, enabled: bool) -> None:
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
        if self.enabled:
            sys.stderr.write("\r" + " " * 78 + "\r")
            sys.stderr.flush()


def _event_line(event) -> str | None:
    d = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    kind = d.get("kind", "")
    text = d.get("text")
    if isinstance(text, dict):
        text = text.get("en") or next(iter(text.values()), "")
    if not text:
        return None
    side = d.get("side")
    side_s = f" [{side}]" if side else ""
    return f"  {_fmt_time(d.get('timestamp_ms', 0.0))}  {kind:<8}{side_s} {text}"


# --------------------------------------------------------------------------- commands
def cmd_exercises(args: argparse.Namespace) -> int:
    from .spec import list_specs

    specs = list_specs()
    lang = args.lang
    width = max(len(s.id) for s in specs)
    for spec in specs:
        name = spec.names.get(lang) or spec.names.get("en")
        sides = ", ".join(spec.sides) if spec.sides else "—"
        print(f"{spec.id:<{width}}  {name}  (camera: {spec.camera_view}; sides: {sides})")
    return EXIT_OK


def _common_run_options(args: argparse.Namespace):
    from .runner import RunOptions

    return RunOptions(
        exercise=args.exercise,
        lang=args.lang,
        profile=args.profile,
        model=args.model,
        out_dir=getattr(args, "out", None),
        video=getattr(args, "video", False),
        record_landmarks=args.record_landmarks,
        window=getattr(args, "window", False),
        mirror=getattr(args, "mirror", False),
        max_people=args.max_people,
    )


def _check_exercise_and_profile(args: argparse.Namespace):
    """Fail before opening any video or model when the exercise or profile is wrong."""
    from .runner import load_spec_for

    return load_spec_for(args.exercise, args.profile)


def _print_run(result, options, quiet: bool) -> None:
    stats = result.stats
    speed = stats.media_s / stats.wall_s if stats.wall_s > 0 else 0.0
    print(f"{options.exercise}: {stats.frames} frames, person tracked in {stats.tracked_fraction * 100:.1f} %, "
          f"{stats.media_s:.1f} s of video in {stats.wall_s:.1f} s ({stats.fps:.1f} fps, {speed:.1f}x real time)")
    if not quiet:
        session = result.summary.get("session") or {}
        for line in _summary_lines(session):
            print(line)
    cues = stats.cue_counts
    if cues:
        print("cues: " + ", ".join(f"{k} x{v}" for k, v in cues.items()))
    else:
        print("cues: none")
    if result.events_path:
        print(f"events ({stats.events}) -> {result.events_path}")
    if result.summary_path:
        print(f"summary -> {result.summary_path}")
    if result.video_path:
        print(f"annotated video -> {result.video_path}")
    if result.recording_path:
        print(f"landmark recording -> {result.recording_path}")


def _summary_lines(session: dict) -> list[str]:
    lines = []
    for key in ("holds", "reps", "sides"):
        if key in session and session[key]:
            lines.append(f"{key}: {session[key]}")
    return lines


def cmd_replay(args: argparse.Namespace) -> int:
    from .runner import execute, needs_masks, open_input

    spec = _check_exercise_and_profile(args)
    options = _common_run_options(args)
    if options.out_dir is None:
        options.out_dir = str(Path("runs") / (Path(args.input).stem or "replay"))
    frames, fps, estimator, total = open_input(args.input, args.model, args.max_people, needs_masks(spec), spec)
    progress = Progress(total, enabled=not args.quiet)
    try:
        result = execute(options, frames, fps=fps, estimator=estimator, on_progress=progress,
                         source_name=str(args.input))
    finally:
        progress.done()
        if estimator is not None:
            estimator.close()
    if not args.quiet and result.events_path:
        for line in _read_event_lines(result.events_path, args.lang):
            print(line)
    _print_run(result, options, args.quiet)
    return EXIT_OK


def _read_event_lines(path: Path, lang: str, limit: int = 40) -> list[str]:
    import json

    lines = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            d = json.loads(raw)
            if d.get("kind") not in ("cue", "praise", "phase", "side", "hold", "rep", "exercise", "cant_see"):
                continue
            text = d.get("text")
            if isinstance(text, dict):
                d["text"] = text.get(lang) or text.get("en")
            line = _event_line(d)
            if line:
                lines.append(line)
    if len(lines) > limit:
        lines = lines[: limit // 2] + [f"  ... {len(lines) - limit} more ..."] + lines[-limit // 2:]
    return lines


def cmd_live(args: argparse.Namespace) -> int:
    from .runner import execute, make_estimator, needs_masks
    from .sources import CameraSource, SourceError

    spec = _check_exercise_and_profile(args)
    options = _common_run_options(args)
    options.window = not args.no_window
    if args.no_window and options.out_dir is None:
        options.out_dir = str(Path("runs") / "live")
    camera_arg = str(args.camera)
    if not camera_arg.isdigit() and not Path(camera_arg).exists():
        raise SourceError(f"--camera must be a camera number or a video file; {camera_arg} does not exist")
    estimator = make_estimator(args.model, args.max_people, needs_masks(spec), spec)
    try:
        source = CameraSource(int(camera_arg)) if camera_arg.isdigit() else CameraSource.from_file(camera_arg)
    except CoachError:
        estimator.close()
        raise
    stop_after = args.max_seconds
    start = time.monotonic()

    def should_stop() -> bool:
        return bool(stop_after and time.monotonic() - start > stop_after)

    try:
        result = execute(options, source, fps=source.info.fps, estimator=estimator, should_stop=should_stop,
                         source_name=f"camera {camera_arg}")
    finally:
        source.close()
        estimator.close()
    result.stats.dropped = source.dropped
    _print_run(result, options, quiet=False)
    if source.failed and not source.ended:
        _err(f"camera {camera_arg} stopped giving pictures (unplugged?); what was recorded is saved")
        return EXIT_INPUT
    return EXIT_OK


def cmd_check_spec(args: argparse.Namespace) -> int:
    """Validate spec and profile files: one line per file, exit 2 if any is invalid."""
    import yaml

    from .spec import SpecError, load_profile, load_spec

    bad = 0
    for path in args.files:
        try:
            text = Path(path).read_text(encoding="utf-8")
            try:
                top = yaml.safe_load(text)
            except yaml.YAMLError:
                top = None
            if isinstance(top, dict) and "exercises" in top and "id" not in top:
                profile = load_profile(path)
                print(f"{path}: ok (profile{' ' + repr(profile.label) if getattr(profile, 'label', None) else ''})")
            else:
                spec = load_spec(path)
                print(f"{path}: ok ({spec.id}: {len(spec.rules)} rules, {len(spec.phases)} phases)")
        except OSError as exc:
            bad += 1
            print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
        except UnicodeDecodeError as exc:
            bad += 1
            print(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8", file=sys.stderr)
        except SpecError as exc:
            bad += 1
            print(str(exc), file=sys.stderr)
    return EXIT_INPUT if bad else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain
    from .runner import load_spec_for

    print(explain(load_spec_for(args.exercise, args.profile), args.lang))
    return EXIT_OK


def cmd_measure(args: argparse.Namespace) -> int:
    """Every measure's value per frame as CSV (empty cell = can't see)."""
    import csv

    from .engine import measure_table
    from .pipeline import RunStats, pose_stream
    from .runner import needs_masks, open_input
    from .smoothing import PoseSmoother

    spec = _check_exercise_and_profile(args)
    frames, _fps, estimator, _total = open_input(args.input, args.model, 1, needs_masks(spec), spec)
    smoother = PoseSmoother()
    stats = RunStats()
    try:
        poses = [smoother.update(pose) for _, pose in pose_stream(frames, estimator, stats)]
    finally:
        if estimator is not None:
            estimator.close()
    header, rows = measure_table(spec, poses, side=args.side)
    out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    finally:
        if args.out:
            out.close()
    if args.out:
        print(f"{len(rows)} frames x {len(header) - 1} measures -> {args.out}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from .evaluate import evaluate

    def on_clip(c) -> None:
        if not args.quiet:
            print(f"  {c.name}: {c.frames} frames, tracked {c.tracked * 100:.0f} %, "
                  f"cues {len(c.predicted)} (truth {len(c.truth_cues)}, matched {len(c.matches)})", file=sys.stderr)

    report = evaluate(args.paths, use_video=args.video, model=args.model, before_s=args.before,
                      after_s=args.after, on_clip=on_clip)
    data = report.to_dict()
    f = lambda v, fmt="{:.2f}": "—" if v is None else fmt.format(v)  # noqa: E731
    print(f"cue tolerance: from {args.before:g} s before the mistake's onset to {args.after:g} s after the true cue (+ release_s for hold too short)")
    print(f"{'exercise':<22}{'clips':>6}{'tracked':>9}{'prec':>7}{'recall':>8}{'false/min':>11}"
          f"{'hold err s':>12}{'reps exact':>12}")
    for ex, e in data["exercises"].items():
        print(f"{ex:<22}{e['clips']:>6}{f(e['tracked_fraction'] * 100, '{:.1f}%'):>9}{f(e['precision']):>7}"
              f"{f(e['recall']):>8}{f(e['false_cues_per_min_good']):>11}{f(e['hold_error_s_mean'], '{:.1f}'):>12}"
              f"{f(e['reps_exact_fraction']):>12}")
    print(f"\n{'rule':<44}{'tp':>4}{'fp':>4}{'fn':>4}{'prec':>7}{'recall':>8}{'F1':>7}")
    for rule, s in data["rules"].items():
        print(f"{rule:<44}{s['tp']:>4}{s['fp']:>4}{s['fn']:>4}{f(s['precision']):>7}{f(s['recall']):>8}{f(s['f1']):>7}")
    print(f"\n{'measure (detected vs true joints)':<44}{'unit':>6}{'MAE':>8}{'p95':>8}{'worst':>8}")
    for name, m in data["measures"].items():
        print(f"{name:<44}{m['unit']:>6}{f(m['mae']):>8}{f(m['p95']):>8}{f(m['worst']):>8}")
    if args.json:
        tmp = Path(args.json).with_name(f".{Path(args.json).name}.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(args.json)
        print(f"\nreport -> {args.json}")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from .synth.__main__ import main as synth_main

    return int(synth_main(args.synth_args) or 0)


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    lang_default = _default_lang()
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A pose-checking back-mobility coach: watches you through a camera and corrects your form.",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, exercise_required: bool = True) -> None:
        p.add_argument("--exercise", "-e", required=exercise_required, metavar="ID",
                       help="exercise id (see `coach exercises`)")
        p.add_argument("--lang", choices=("nb", "en"), default=lang_default,
                       help=f"language of cues and text (default from the system locale: {lang_default})")
        p.add_argument("--profile", metavar="FILE", help="a physiotherapist's profile YAML overriding thresholds")
        p.add_argument("--model", metavar="PATH",
                       help="pose model .task bundle (default: models/pose_landmarker_full.task)")
        p.add_argument("--record-landmarks", metavar="FILE.npz",
                       help="store every pose of the run in a landmark recording (replayable without the model)")
        p.add_argument("--max-people", type=int, default=1, choices=range(1, 6), metavar="N",
                       help="people the model looks for; the coach locks onto one (default 1)")

    p = sub.add_parser("exercises", help="list the exercises")
    p.add_argument("--lang", choices=("nb", "en"), default=lang_default)
    p.set_defaults(func=cmd_exercises)

    p = sub.add_parser("replay", help="coach a video, an image folder or a landmark recording (faster than real time)")
    p.add_argument("input", metavar="VIDEO|IMAGES|RECORDING.npz")
    common(p)
    p.add_argument("--out", metavar="DIR", help="output folder for events.jsonl and summary.json (default runs/<name>)")
    p.add_argument("--video", action="store_true", help="also write annotated.mp4 with the skeleton and cues")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no event list")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("live", help="coach live from a camera, in a window (q or Esc stops)")
    common(p)
    p.add_argument("--camera", default="0", metavar="N|FILE",
                   help="camera number (default 0), or a video file played as a live camera")
    p.add_argument("--mirror", action="store_true", help="mirror the picture (like a mirror; text stays readable)")
    p.add_argument("--no-window", action="store_true", help="no window: write events (and --video) into --out")
    p.add_argument("--out", metavar="DIR", help="output folder for events.jsonl and summary.json")
    p.add_argument("--video", action="store_true", help="also write annotated.mp4")
    p.add_argument("--max-seconds", type=float, default=None, help="stop after this many seconds")
    p.set_defaults(func=cmd_live)

    p = sub.add_parser("check-spec", help="validate exercise specs and physio profiles")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_check_spec)

    p = sub.add_parser("explain", help="the exercise's rules and thresholds in plain language")
    p.add_argument("exercise", metavar="ID")
    p.add_argument("--lang", choices=("nb", "en"), default=lang_default)
    p.add_argument("--profile", metavar="FILE", help="show the thresholds of this profile")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("measure", help="every measure's value per frame as CSV (empty = can't see)")
    p.add_argument("input", metavar="VIDEO|IMAGES|RECORDING.npz")
    common(p)
    p.add_argument("--side", choices=("left", "right"), help="side for moving_/other_ points (default: the first)")
    p.add_argument("--out", metavar="FILE.csv", help="write here instead of standard output")
    p.set_defaults(func=cmd_measure)

    p = sub.add_parser("eval", help="score the coach against the synthetic clips' ground truth")
    p.add_argument("paths", nargs="+", metavar="DIR|CLIP")
    p.add_argument("--video", action="store_true", help="run the pose model on the videos (default: recorded landmarks)")
    p.add_argument("--model", metavar="PATH")
    p.add_argument("--before", type=float, default=1.0, help="cue tolerance before the mistake's onset, s")
    p.add_argument("--after", type=float, default=3.0, help="cue tolerance after the true cue, s")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("synth", help="the synthetic exercise studio (needs: pip install -e .[synth])",
                       add_help=False)
    p.add_argument("synth_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_synth)

    from .cli_session import add_session_commands
    from .cli_tune import add_tune_commands

    add_session_commands(sub, lang_default)
    add_tune_commands(sub, lang_default)
    return parser


def _silence_native_logs() -> None:
    """Keep MediaPipe's native log lines (TFLite / absl, written straight to fd 2) off the
    user's terminal, while Python's own stderr (our messages, warnings) still shows.

    Python's sys.stderr moves to a duplicate of the real stderr; fd 2 goes to /dev/null.
    Set COACH_NATIVE_LOGS=1 to see the native lines.
    """
    if os.environ.get("COACH_NATIVE_LOGS") == "1" or getattr(sys.stderr, "_coach_rerouted", False):
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    stream = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                       errors="backslashreplace")
    os.dup2(devnull, 2)
    os.close(devnull)
    stream._coach_rerouted = True  # type: ignore[attr-defined]
    sys.stderr = stream


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) in ("replay", "live", "session", "tune", "measure", "eval", "calibrate"):
        if sys.stderr is sys.__stderr__:  # a real process, not a test capturing output
            _silence_native_logs()
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args.func(args) or 0)
    except CoachError as exc:
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print("\ncoach: stopped (Ctrl-C); what was recorded so far is saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
