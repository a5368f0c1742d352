"""`coach replay` and `coach measure`: a recording (video, image folder or landmark file) in,
events or measure values out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coach.cli.common import (EXIT_INPUT, EXIT_OK, Progress, add_run_options, err, print_run, read_event_lines,
                              run_options)


def register(sub, lang_default: str) -> None:
    p = sub.add_parser("replay", help="coach a video, an image folder or a landmark recording (faster than real time)")
    p.add_argument("input", metavar="VIDEO|IMAGES|RECORDING.npz")
    add_run_options(p, lang_default)
    p.add_argument("--out", metavar="DIR", help="output folder for events.jsonl and summary.json (default runs/<name>)")
    p.add_argument("--video", action="store_true", help="also write annotated.mp4 with the skeleton and cues")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no event list")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("measure", help="every measure's value per frame as CSV (empty = can't see)")
    p.add_argument("input", metavar="VIDEO|IMAGES|RECORDING.npz")
    add_run_options(p, lang_default)
    p.add_argument("--side", choices=("left", "right"), help="side for moving_/other_ points (default: the first)")
    p.add_argument("--out", metavar="FILE.csv", help="write here instead of standard output")
    p.set_defaults(func=cmd_measure)


def cmd_replay(args: argparse.Namespace) -> int:
    from coach.pipeline.runner import execute, load_spec_for, needs_masks, open_input

    spec = load_spec_for(args.exercise, args.profile, args.spec)  # a wrong exercise or profile fails at once
    options = run_options(args)
    if options.out_dir is None:
        options.out_dir = str(Path("runs") / (Path(args.input).stem or "replay"))
    frames, fps, estimator, total = open_input(args.input, args.model, args.max_people, needs_masks(spec), spec,
                                               args.mirrored)
    progress = Progress(total, enabled=not args.quiet)
    try:
        result = execute(options, frames, fps=fps, estimator=estimator, on_progress=progress,
                         source_name=str(args.input))
    finally:
        progress.done()
        if estimator is not None:
            estimator.close()
    if not args.quiet and result.events_path:
        for line in read_event_lines(result.events_path, args.lang):
            print(line)
    print_run(result, spec.id, args.quiet, args.lang, spec=spec)
    return _damaged_images(frames)


def _damaged_images(source) -> int:
    """Images of a folder left out because they are damaged: one line naming them, exit 2
    (the others were coached and their results are written)."""
    message = getattr(source, "damaged_message", None)
    text = message() if message is not None else None
    if text:
        err(text)
        return EXIT_INPUT
    return EXIT_OK


def cmd_measure(args: argparse.Namespace) -> int:
    """Every measure's value per frame as CSV (empty cell = can't see)."""
    import csv

    from coach.engine import measure_table
    from coach.pipeline.loop import RunStats, pose_stream
    from coach.pipeline.runner import load_spec_for, needs_masks, open_input
    from coach.vision.smoothing import PoseSmoother

    spec = load_spec_for(args.exercise, args.profile, args.spec)
    frames, _fps, estimator, _total = open_input(args.input, args.model, 1, needs_masks(spec), spec, args.mirrored)
    smoother = PoseSmoother()
    stats = RunStats()
    try:
        poses = [smoother.update(pose) for _, pose in pose_stream(frames, estimator, stats, args.mirrored)]
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
        from coach import i18n

        print(i18n.t("measure.cli.written", args.lang, frames=len(rows), measures=len(header) - 1, path=args.out))
    return _damaged_images(frames)
