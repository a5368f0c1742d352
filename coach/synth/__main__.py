"""python -m coach.synth render|list|preview ... (the lead wires this as ``coach synth``)."""

from __future__ import annotations

import argparse
import sys

from coach.errors import CoachError


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="coach synth", description="Render synthetic exercise clips with ground truth.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render one clip (+ <stem>.truth.json.gz next to it)")
    r.add_argument("--exercise", required=True)
    r.add_argument("--mistake", default=None, help="a rule id from exercise_specs/RULE_IDS.md")
    r.add_argument("--side", default="both", help="left, right or both")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--fps", type=float, default=10.0)
    r.add_argument("--variation", default="full", help="none, mild or full")
    r.add_argument("--crf", type=int, default=28)
    r.add_argument("--preview", default=None, help="comma-separated times (s): write a PNG contact sheet instead")
    r.add_argument("--out", required=True)
    sub.add_parser("list", help="list exercises and their mistake ids")
    b = sub.add_parser("batch", help="render the committed sample set (samples/<exercise>/<good|mistake>.mp4)")
    b.add_argument("--out", default="samples")
    b.add_argument("--only", default="all", help="all, good or mistakes")
    b.add_argument("--exercise", default=None, help="restrict to one exercise")
    b.add_argument("--worker", type=int, default=0)
    b.add_argument("--workers", type=int, default=1)
    b.add_argument("--force", action="store_true", help="re-render clips that exist")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.cmd == "list":
            from coach.synth.exercises import EXERCISES
            for ex in EXERCISES.values():
                print(f"{ex.id}: sides={list(ex.sides) or ['-']} mistakes={' '.join(ex.mistakes)}")
            return 0
        from coach.synth import render_clip
        if args.cmd == "batch":
            return _batch(args)
        last = [0]

        def progress(i: int, n: int) -> None:
            if i == n or i - last[0] >= 100:
                last[0] = i
                print(f"  frame {i}/{n}", file=sys.stderr, flush=True)
        preview = [float(x) for x in args.preview.split(",")] if args.preview else None
        out = render_clip(args.exercise, args.mistake, args.side, args.seed, args.out, args.fps,
                          args.variation, crf=args.crf, progress=progress, preview_s=preview)
        print(out)
        return 0
    except CoachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _batch(args) -> int:
    import time
    from pathlib import Path

    from coach.synth import render_clip
    from coach.synth.samples import sample_set
    plan = [c for c in sample_set() if args.only in ("all", c.kind) and (not args.exercise or c.exercise == args.exercise)]
    mine = plan[args.worker::args.workers]
    for c in mine:
        out = Path(args.out) / c.relpath
        if out.exists() and not args.force:
            continue
        t0 = time.time()
        render_clip(c.exercise, c.mistake, c.side, c.seed, out, c.fps, c.variation)
        print(f"{out}  {time.time() - t0:.0f} s  {out.stat().st_size / 1e6:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
