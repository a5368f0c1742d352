"""`coach live`: coach from a camera (or a video played as one) in a window."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from coach.cli.common import EXIT_INPUT, EXIT_OK, add_run_options, err, print_run, run_options


def register(sub, lang_default: str) -> None:
    from coach.session.keys import binding, keys_label

    stop = keys_label(binding("stop"))
    p = sub.add_parser("live", help=f"coach live from a camera, in a window, by voice ({stop} stops)",
                       description=f"Coach one exercise live from a camera, in a window and by voice. "
                                   f"{stop} in the window (or closing it) stops.")
    add_run_options(p, lang_default)
    p.add_argument("--camera", default="0", metavar="N|FILE",
                   help="camera number (default 0), or a video file played as a live camera")
    p.add_argument("--mirror", action="store_true", help="mirror the picture (like a mirror; text stays readable)")
    p.add_argument("--mute", action="store_true", help="no speech (the cues are shown only)")
    p.add_argument("--volume", type=int, default=None, metavar="0-200", help="speech volume (default 100)")
    p.add_argument("--no-window", action="store_true", help="no window: write events (and --video) into --out")
    p.add_argument("--out", metavar="DIR", help="output folder for events.jsonl and summary.json")
    p.add_argument("--video", action="store_true", help="also write annotated.mp4")
    p.add_argument("--max-seconds", type=float, default=None, help="stop after this many seconds")
    p.set_defaults(func=cmd_live)


def cmd_live(args: argparse.Namespace) -> int:
    from coach.errors import CoachError, InputError
    from coach.pipeline.runner import execute, load_spec_for, make_estimator, make_voice, needs_masks
    from coach.ui.window import check_display
    from coach.vision.sources import CameraSource, SourceError

    spec = load_spec_for(args.exercise, args.profile, args.spec)  # a wrong exercise or profile fails before the camera opens
    options = run_options(args)
    options.window = not args.no_window
    if args.no_window and options.out_dir is None:
        options.out_dir = str(Path("runs") / "live")
    if args.volume is not None and not 0 <= args.volume <= 200:
        raise InputError(f"--volume: must be in 0..200, got {args.volume}")
    camera_arg = str(args.camera)
    if not camera_arg.isdigit() and not Path(camera_arg).exists():
        raise SourceError(f"--camera must be a camera number or a video file; {camera_arg} does not exist")
    if options.window:  # OpenCV would abort the process (exit 134, no message) without a display
        check_display("--no-window --out DIR")
    estimator = make_estimator(args.model, args.max_people, needs_masks(spec), spec)
    try:
        source = CameraSource(int(camera_arg)) if camera_arg.isdigit() else CameraSource.from_file(camera_arg)
    except CoachError:
        estimator.close()
        raise
    voice = make_voice(options.lang, muted=args.mute, volume=args.volume)
    if voice.warning and not args.mute:
        print(f"coach: warning: {voice.warning}", file=sys.stderr)
    stop_after = args.max_seconds
    start = time.monotonic()

    def should_stop() -> bool:
        return bool(stop_after and time.monotonic() - start > stop_after)

    finished = False
    try:
        result = execute(options, source, fps=source.info.fps, estimator=estimator, should_stop=should_stop,
                         source_name=f"camera {camera_arg}", voice=voice)
        finished = True
    finally:
        source.close()
        estimator.close()
        if finished and not result.stopped_by_user:
            voice.wait_idle(timeout_s=5.0)  # the last cue is heard; a stop key or Ctrl-C cuts it off
        voice.close()
    result.stats.dropped = source.dropped
    print_run(result, spec.id, quiet=False)
    if source.failed and not source.ended:
        err(f"camera {camera_arg} stopped giving pictures (unplugged?); what was recorded is saved")
        return EXIT_INPUT
    return EXIT_OK
