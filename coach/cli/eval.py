"""`coach eval`: score the coach against the synthetic clips' ground truth."""

from __future__ import annotations

import argparse
import json
import sys

from coach.cli.common import EXIT_OK


def register(sub, lang_default: str) -> None:
    p = sub.add_parser("eval", help="score the coach against the synthetic clips' ground truth")
    p.add_argument("paths", nargs="+", metavar="DIR|CLIP")
    p.add_argument("--video", action="store_true", help="run the pose model on the videos (default: recorded landmarks)")
    p.add_argument("--model", metavar="PATH")
    p.add_argument("--before", type=float, default=1.0, help="cue tolerance before the mistake's onset, s")
    p.add_argument("--after", type=float, default=3.0, help="cue tolerance after the true cue, s")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_eval)


def _f(v, fmt: str = "{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def cmd_eval(args: argparse.Namespace) -> int:
    from coach.errors import OutputError
    from coach.files import atomic_write
    from coach.tools.scoring import score_clips

    def on_clip(c) -> None:
        if not args.quiet:
            print(f"  {c.name}: {c.frames} frames, tracked {c.tracked * 100:.0f} %, "
                  f"cues {len(c.predicted)} (truth {len(c.truth_cues)}, matched {len(c.matches)})", file=sys.stderr)

    report = score_clips(args.paths, use_video=args.video, model=args.model, before_s=args.before,
                         after_s=args.after, on_clip=on_clip)
    data = report.to_dict()
    print(f"cue tolerance: from {args.before:g} s before the mistake's onset to {args.after:g} s after the true cue "
          "(+ release_s for hold too short)")
    print(f"{'exercise':<22}{'clips':>6}{'tracked':>9}{'prec':>7}{'recall':>8}{'false/min':>11}"
          f"{'hold err s':>12}{'reps exact':>12}")
    for ex, e in data["exercises"].items():
        print(f"{ex:<22}{e['clips']:>6}{_f(e['tracked_fraction'] * 100, '{:.1f}%'):>9}{_f(e['precision']):>7}"
              f"{_f(e['recall']):>8}{_f(e['false_cues_per_min_good']):>11}{_f(e['hold_error_s_mean'], '{:.1f}'):>12}"
              f"{_f(e['reps_exact_fraction']):>12}")
    print(f"\n{'rule':<44}{'tp':>4}{'fp':>4}{'fn':>4}{'prec':>7}{'recall':>8}{'F1':>7}")
    for rule, s in data["rules"].items():
        print(f"{rule:<44}{s['tp']:>4}{s['fp']:>4}{s['fn']:>4}{_f(s['precision']):>7}{_f(s['recall']):>8}{_f(s['f1']):>7}")
    print(f"\n{'measure (detected vs true joints)':<44}{'unit':>6}{'MAE':>8}{'p95':>8}{'worst':>8}")
    for name, m in data["measures"].items():
        print(f"{name:<44}{m['unit']:>6}{_f(m['mae']):>8}{_f(m['p95']):>8}{_f(m['worst']):>8}")
    if args.json:
        try:
            atomic_write(args.json, json.dumps(data, indent=1, ensure_ascii=False))
        except OSError as exc:
            raise OutputError(f"cannot write {args.json}: {exc.strerror or exc}; choose another --json") from None
        print(f"\nreport -> {args.json}")
    return EXIT_OK
