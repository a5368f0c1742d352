"""`coach eval`: score the coach against the synthetic clips' ground truth."""

from __future__ import annotations

import argparse
import json
import sys

from coach.cli.common import EXIT_OK


def register(sub, lang_default: str) -> None:
    p = sub.add_parser("eval", help="score the coach against the synthetic clips' ground truth")
    p.add_argument("paths", nargs="*", metavar="DIR|CLIP")
    p.add_argument("--photos", metavar="DIR", help="check the coach on real photos (e.g. tests/fixtures/real_photos): "
                   "what it does with each against the folder's expectations.yaml")
    p.add_argument("--video", action="store_true", help="run the pose model on the videos or photos (default: recorded "
                   "landmarks / the photos' poses.npz)")
    p.add_argument("--model", metavar="PATH")
    p.add_argument("--before", type=float, default=1.0, help="cue tolerance before the mistake's onset, s")
    p.add_argument("--after", type=float, default=3.0, help="cue tolerance after the true cue, s")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_eval)


def _f(v, fmt: str = "{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def cmd_eval(args: argparse.Namespace) -> int:
    from coach.errors import InputError, OutputError
    from coach.files import atomic_write
    from coach.tools.scoring import score_clips

    if args.photos:
        return cmd_eval_photos(args)
    if not args.paths:
        raise InputError("coach eval needs a folder of clips (e.g. samples/) or --photos DIR")

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


# --------------------------------------------------------------------------- --photos
def cmd_eval_photos(args: argparse.Namespace) -> int:
    """`coach eval --photos DIR`: one row per photo, then the totals."""
    from collections import Counter

    from coach.errors import OutputError
    from coach.files import atomic_write
    from coach.tools import photos as ph

    folder = args.photos
    poses = meta = None
    if args.video:
        expectations = ph.load_expectations(f"{folder}/{ph.EXPECTATIONS}")
        if not args.quiet:
            print(f"running the pose model on {len(expectations)} photos ...", file=sys.stderr)
        poses = ph.record_poses(folder, list(expectations), model=args.model)
        meta = {"source": "pose model (--video)"}
    report = ph.photo_report(folder, poses=poses, meta=meta)
    print(f"{'photo':<31}{'exercise':<21}{'seen':>5}{'people':>7}  {'position':<9}{'hold (side, phase)':<22}"
          f"{'reps':>5}  {'cues (severity) x times':<44}verdict")
    for r in report.photos:
        run = r.runs.get(r.exercise) if r.exercise else None
        if run is None:   # none of the seven: what happened on any exercise
            seen = any(x.detected for x in r.runs.values())
            people = max(x.people for x in r.runs.values())
            position, hold = "-", ",".join(ex for ex, x in r.runs.items() if x.holds) or "-"
            reps = sum(x.reps for x in r.runs.values())
            cues = Counter(f"{c.rule_id}({c.severity})" for x in r.runs.values() for c in x.corrections
                           if c.severity == "safety")
        else:
            seen, people, reps = run.detected, run.people, run.reps
            setup = next((p for p in run.phase_ends if p.kind == "setup"), None)
            position = "no" if setup is None else ("timeout" if setup.timed_out else "yes")
            hold = f"{run.holds[0].side or '-'}, {run.holds[0].phase}" if run.holds else "-"
            cues = Counter(f"{c.rule_id}({c.severity})" for c in run.corrections)
        cue_text = " ".join(f"{k}x{n}" if n > 1 else k for k, n in cues.items()) or "-"
        verdict = "as expected" if r.ok else ("own ok; " if r.own_ok else "") + "FAIL: " + _failed(r.failures)
        print(f"{r.file:<31}{r.exercise or 'none':<21}{'yes' if seen else 'no':>5}{people:>7}  {position:<9}"
              f"{hold:<22} {reps:>4}  {cue_text:<44} {verdict}")
    n = len(report.photos)
    print(f"\n{report.as_expected} of {n} photos as expected; on their own exercise {report.own_as_expected} of {n}")
    other = report.safety_on_other()
    print(f"safety cues on an exercise the photo is not: {sum(other.values())}"
          + (" (" + ", ".join(f"{k} x{v}" for k, v in other.items()) + ")" if other else ""))
    for name, owner in report.mixed_people().items():
        r = next(p for p in report.photos if p.file == name)
        run = r.runs[r.exercise] if r.exercise else None
        flag = " (flagged: two people overlapping)" if run is not None and run.people_overlap else ""
        print(f"two people in {name}: people seen {run.people if run else '-'}, coached skeleton: {owner}{flag}")
    if args.json:
        try:
            atomic_write(args.json, json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
        except OSError as exc:
            raise OutputError(f"cannot write {args.json}: {exc.strerror or exc}; choose another --json") from None
        print(f"\nreport -> {args.json}")
    return EXIT_OK


def _failed(failures) -> str:
    """The failed checks, short: safety cues grouped by exercise and rule, repeats counted."""
    from collections import Counter

    counts: Counter = Counter()
    for f in failures:
        if f.check == "safety":
            counts[f"safety {f.exercise}/{f.message.split()[2]}"] += 1
        elif f.check == "none":
            counts[f"{f.exercise}: {f.message.split(' at ')[0]}"] += 1
        else:
            counts[f.message.split(" at ")[0]] += 1
    return "; ".join(k + (f" x{n}" if n > 1 else "") for k, n in counts.items())
