"""`coach eval`: score the coach against the synthetic clips' ground truth."""

from __future__ import annotations

import argparse
import json
import sys

from coach.cli.common import EXIT_OK

SPLITS = ("dev", "val", "test", "samples")


def register(sub, lang_default: str) -> None:
    p = sub.add_parser("eval", help="score the coach against the synthetic clips' ground truth")
    p.add_argument("paths", nargs="*", metavar="DIR|CLIP")
    p.add_argument("--photos", metavar="DIR", help="check the coach on real photos (e.g. tests/fixtures/real_photos): "
                   "what it does with each against the folder's expectations.yaml")
    p.add_argument("--split", action="append", choices=SPLITS, metavar="SPLIT",
                   help="only clips of this corpus split (dev, val, test; samples = the clips outside the "
                        "corpus); repeat for several")
    p.add_argument("--exercise", "-e", action="append", metavar="ID", help="only this exercise; repeat for several")
    p.add_argument("--video", action="store_true", help="run the pose model on the videos or photos (default: recorded "
                   "landmarks / the photos' poses.npz)")
    p.add_argument("--true-poses", action="store_true",
                   help="feed the coach the clips' true joints instead of the pose model's (what the "
                        "pose model's error costs)")
    p.add_argument("--model", metavar="PATH")
    p.add_argument("--before", type=float, default=1.0, help="cue tolerance before the mistake's onset, s")
    p.add_argument("--after", type=float, default=3.0, help="cue tolerance after the true cue, s")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no line per clip")
    p.set_defaults(func=cmd_eval)


def _f(v, fmt: str = "{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def _pct(v) -> str:
    return _f(None if v is None else v * 100, "{:.0f}%")


def _view_order(view: str) -> tuple:
    height, _, azimuth = view.partition("/")
    return ({"floor": 0, "chair": 1, "desk": 2}.get(height, 3), azimuth, view)


#: how the report names the causes of a miss (coach.tools.scoring.MISS_CAUSES)
CAUSE_WORDS = {
    "timing": "timing rule",
    "not_judged": "not judged",
    "inside_bound": "inside its bound",
    "inside_margin": "inside the margin",
    "not_said": "past the margin, not said",
}


#: how the report names what a wrong cue was said to (coach.tools.scoring.WRONG_KINDS)
WRONG_WORDS = {
    "own_mistake_off_window": "the clip's own mistake, out of its window",
    "other_mistake": "another mistake",
    "good_form": "good form",
    "camera_off": "a camera to move",
}


def _causes(counts: dict, words: dict[str, str] = CAUSE_WORDS) -> str:
    return ", ".join(f"{words[k]} {n}" for k, n in counts.items() if n and k in words)


def report_lines(data: dict, before_s: float, after_s: float) -> list[str]:
    """The printed report of ``ScoreReport.to_dict()``."""
    out: list[str] = []
    say = out.append
    say(f"cue tolerance: from {before_s:g} s before the mistake's onset to {after_s:g} s after the true cue "
        "(+ release_s for hold too short)")
    say("wrong/min: corrections per minute of good form, then by severity (safety form pace count; setup apart)")
    say("on good-form clips: start / hold = hold start / hold length error s, reps = rep count error, sides = "
        "sides held in the truth's order")
    say("camera: clips where the coach judged the camera placement unsupported: camera_off / supported ones")

    def row(name: str, s: dict, width: int) -> str:
        sev = s["wrong_cues_per_min_good_by_severity"]
        return (f"{name:<{width}}{s['clips']:>6}{_pct(s['tracked_fraction']):>8}{_f(s['precision']):>6}"
                f"{_f(s['recall']):>7}{_f(s['f1']):>6}{_f(s['wrong_cues_per_min_good']):>10}"
                f"  {_f(sev['safety'], '{:.1f}'):>4} {_f(sev['form'], '{:.1f}'):>4} {_f(sev['pace'], '{:.1f}'):>4}"
                f" {_f(sev['count'], '{:.1f}'):>4}; {_f(sev['setup'], '{:.1f}'):>4}"
                f"{_f(s['hold_start_error_s_mean'], '{:.1f}'):>7}{_f(s['hold_error_s_mean'], '{:.1f}'):>7}"
                f"{_f(s['rep_count_error_mean'], '{:.1f}'):>6}{_pct(s['sides_followed_fraction']):>7}"
                f"{_pct(s['camera_unsupported_fraction_camera_off']):>6}/{_pct(s['camera_unsupported_fraction_supported']):<4}")

    def header(first: str, width: int) -> str:
        return (f"{first:<{width}}{'clips':>6}{'tracked':>8}{'prec':>6}{'recall':>7}{'F1':>6}{'wrong/min':>10}"
                f"  {'saf':>4} {'form':>4} {'pace':>4} {'cnt':>4}; {'setup':>4}{'start':>7}{'hold':>7}{'reps':>6}"
                f"{'sides':>7}{'camera':>8}")

    say("")
    say(header("split", 10))
    for split, s in data["splits"].items():
        say(row(split, s, 10))
    say("missed mistakes, by where the rule's reading was while the mistake was made (inside the margin: past "
        "its bound, never by the measure's error):")
    for split, s in data["splits"].items():
        say(f"  {split}: {_causes(s.get('missed_by_cause') or {}) or 'none missed'}")
    say("wrong cues, by what they were said to (out of its window: late, early or naming the other side):")
    for split, s in data["splits"].items():
        say(f"  {split}: {_causes(s.get('wrong_by_kind') or {}, WRONG_WORDS) or 'none'}")
    gap = data.get("dev_vs_test")
    if gap:
        say(f"F1 dev {_f(gap['f1_dev'])}, F1 test {_f(gap['f1_test'])}, gap {_f(gap['gap'], '{:+.2f}')}")

    say("")
    say(header("exercise", 22))
    for ex, s in data["exercises"].items():
        say(row(ex, s, 22))

    say("")
    say(f"{'rule':<44}{'tp':>4}{'fp':>4}{'fn':>4}{'prec':>7}{'recall':>8}{'F1':>7}  recall just_past / obvious")
    for rule, s in data["rules"].items():
        sizes = (f"  {_f(s.get('recall_just_past'))} / {_f(s.get('recall_obvious'))}"
                 if "recall_just_past" in s or "recall_obvious" in s else "")
        missed = _causes(s.get("missed_by_cause") or {})
        say(f"{rule:<44}{s['tp']:>4}{s['fp']:>4}{s['fn']:>4}{_f(s['precision']):>7}{_f(s['recall']):>8}"
            f"{_f(s['f1']):>7}{sizes}{f'  missed: {missed}' if missed else ''}")
    if data["sizes"]:
        say("mistake size: " + ", ".join(f"{size} recall {_f(s['recall'])} ({s['tp']}/{s['tp'] + s['fn']})"
                                          for size, s in data["sizes"].items()))

    if data["variation"]:
        say("")
        say(header("variation", 30))
        for dim, bins in data["variation"].items():
            for name, s in bins.items():
                say(row(f"{dim}: {name}", s, 30))

    say("")
    views = sorted({v for m in data["measures"].values() for v in m["views"]}, key=_view_order)
    say("measure error: detected (smoothed) vs true joints, over every frame both see; change = p90 of the "
        "error of a change from the clip's start; MAE per view class (camera height / |azimuth| deg)")
    say(f"{'measure':<44}{'unit':>6}{'n':>7}{'MAE':>7}{'p90':>7}{'p95':>7}{'worst':>8}{'change':>8} "
        + "".join(f"{v:>12}" for v in views))
    for name, m in data["measures"].items():
        per_view = "".join(f"{_f(m['views'][v]['mae']) if v in m['views'] else '·':>12}" for v in views)
        say(f"{name:<44}{m['unit']:>6}{m['n']:>7}{_f(m['mae']):>7}{_f(m.get('p90')):>7}{_f(m['p95']):>7}"
            f"{_f(m['worst']):>8}{_f(m.get('p90_change')):>8} {per_view}")
    return out


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
                         after_s=args.after, splits=args.split, exercises=args.exercise, on_clip=on_clip,
                         true_poses=args.true_poses)
    data = report.to_dict()
    for line in report_lines(data, args.before, args.after):
        print(line)
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
