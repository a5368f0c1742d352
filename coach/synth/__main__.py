"""python -m coach.synth render|list|batch|plan ... (the lead wires this as ``coach synth``).

    render --exercise X [--mistake M --size S] ...      one clip (or --preview t1,t2: a PNG sheet)
    render --clip ID --out x.mp4 [--preview ...]        one clip of the corpus plan, by id
    plan --out samples/corpus/manifest.json             the corpus plan + frame / render-time estimate
    batch --corpus --split dev|val|test|all --out DIR [--worker i --workers n]   render the corpus
    batch --corpus --truth-only --out DIR               only the truth files (for eval --true-poses)
    batch --out samples                                 the committed sample set
"""

from __future__ import annotations

import argparse
import sys

from coach.errors import CoachError


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="coach synth", description="Render synthetic exercise clips with ground truth.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render one clip (+ <stem>.truth.json.gz next to it)")
    r.add_argument("--exercise", default=None)
    r.add_argument("--clip", default=None, help="a corpus clip id (see `plan`); replaces --exercise etc.")
    r.add_argument("--mistake", default=None, help="a rule id from exercise_specs/RULE_IDS.md")
    r.add_argument("--size", default="obvious", help="just_past or obvious (mistakes)")
    r.add_argument("--side", default="both", help="left, right or both")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--fps", type=float, default=10.0)
    r.add_argument("--variation", default="full", help="none, mild or full")
    r.add_argument("--crf", type=int, default=28)
    r.add_argument("--preview", default=None, help="comma-separated times (s): write a PNG contact sheet instead")
    r.add_argument("--out", required=True)
    sub.add_parser("list", help="list exercises and their mistake ids")
    pl = sub.add_parser("plan", help="write the corpus manifest and print its size and render-time estimate")
    pl.add_argument("--out", default=None, help="manifest path (e.g. samples/corpus/manifest.json)")
    pl.add_argument("--split", default="all")
    b = sub.add_parser("batch", help="render the committed sample set, or (--corpus) the corpus plan; resumable")
    b.add_argument("--corpus", action="store_true", help="render the corpus plan into OUT/<split>/<exercise>/<id>.mp4")
    b.add_argument("--split", default="all", help="corpus: dev, val, test or all")
    b.add_argument("--limit", type=int, default=None, help="corpus: stop after this many clips of this worker")
    b.add_argument("--id", default=None, help="corpus: only clips whose id matches this glob (e.g. 'test_passive_hang_good_0*')")
    b.add_argument("--crf", type=int, default=28)
    b.add_argument("--out", default="samples")
    b.add_argument("--only", default="all", help="all, good or mistakes")
    b.add_argument("--exercise", default=None, help="restrict to one exercise")
    b.add_argument("--worker", type=int, default=0)
    b.add_argument("--workers", type=int, default=1)
    b.add_argument("--force", action="store_true", help="re-render clips that exist")
    b.add_argument("--truth-only", action="store_true",
                   help="corpus: write only the truth files (no video; ~1/20 of the time) into OUT, for "
                        "`coach eval OUT --true-poses` while the videos render; keep OUT apart from the rendered corpus")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.cmd == "list":
            from coach.synth.exercises import EXERCISES
            for ex in EXERCISES.values():
                print(f"{ex.id}: sides={list(ex.sides) or ['-']} mistakes={' '.join(ex.mistakes)}")
            return 0
        if args.cmd == "plan":
            return _plan(args)
        from coach.synth import render_clip
        if args.cmd == "batch":
            return _batch_corpus(args) if args.corpus else _batch(args)
        last = [0]

        def progress(i: int, n: int) -> None:
            if i == n or i - last[0] >= 100:
                last[0] = i
                print(f"  frame {i}/{n}", file=sys.stderr, flush=True)
        preview = [float(x) for x in args.preview.split(",")] if args.preview else None
        if args.clip:
            c = _corpus_clip(args.clip)
            out = render_clip(c.exercise, c.mistake, "both", c.seed, args.out, c.fps, c.variation(), crf=args.crf,
                              progress=progress, preview_s=preview, style=c.style, size=c.size or "obvious",
                              clip_info=c.clip_info(), sides=list(c.sides))
            print(out)
            return 0
        if not args.exercise:
            raise CoachError("render: give --exercise (or --clip ID)")
        out = render_clip(args.exercise, args.mistake, args.side, args.seed, args.out, args.fps,
                          args.variation, crf=args.crf, progress=progress, preview_s=preview, size=args.size)
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


def _corpus_clip(clip_id: str):
    from coach.synth.corpus import plan
    for c in plan():
        if c.id == clip_id:
            return c
    raise CoachError(f"--clip: no corpus clip {clip_id!r} (see `coach synth plan`)")


def _plan(args) -> int:
    from coach.synth import corpus
    clips = corpus.select(corpus.plan(), args.split)
    print(corpus.summary_table(clips))
    est = corpus.estimate(clips)
    print(f"total: {est['clips']} clips, {est['frames']} frames, {est['duration_min']} min of video")
    print(f"render estimate: {est['s_per_frame_1proc']} s/frame in 1 process -> {est['hours_1_worker']} h; "
          f"2 workers at {est['s_per_frame_2proc']} s/frame each -> {est['hours_2_workers']} h")
    if args.out:
        corpus.write_manifest(args.out, clips)
        print(f"manifest: {args.out}")
    return 0


def _batch_corpus(args) -> int:
    """Render the corpus plan, resumably: a clip is done when its .mp4 and .truth.json.gz both
    exist (each is written to a .part file and renamed at the end); a failing clip is logged to
    OUT/failures.jsonl and skipped."""
    import json
    import time
    import traceback
    from pathlib import Path

    from coach.synth import corpus, render_clip
    from coach.synth.truth import truth_path
    truth_only = getattr(args, "truth_only", False)
    if not (0 <= args.worker < args.workers):
        raise CoachError(f"--worker must be in 0..{args.workers - 1}")
    if args.workers > 1:  # one core per worker: torch's own threads would fight the other workers
        import torch
        torch.set_num_threads(1)
    import fnmatch
    clips = corpus.select(corpus.plan(), args.split)
    if args.id:
        clips = [c for c in clips if fnmatch.fnmatch(c.id, args.id)]
    mine = clips[args.worker::args.workers]
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    done = failed = rendered = 0
    for c in mine:
        out = root / c.relpath
        if (truth_only or out.exists()) and truth_path(out).exists() and not args.force:
            done += 1
            continue
        if args.limit is not None and rendered >= args.limit:
            break
        t0 = time.time()
        try:
            if truth_only:
                from coach.synth.render import truth_only_clip
                truth_only_clip(c.exercise, c.mistake, c.seed, out, c.fps, c.variation(), style=c.style,
                                size=c.size or "obvious", clip_info=c.clip_info(), sides=list(c.sides),
                                part_suffix=f".part{args.worker}")
            else:
                render_clip(c.exercise, c.mistake, "both", c.seed, out, c.fps, c.variation(), crf=args.crf,
                            style=c.style, size=c.size or "obvious", clip_info=c.clip_info(), sides=list(c.sides),
                            part_suffix=f".part{args.worker}")
        except Exception as exc:  # logged, not fatal: the rest of the plan goes on
            failed += 1
            rec = dict(id=c.id, path=c.relpath, error=f"{type(exc).__name__}: {exc}", time=time.strftime("%Y-%m-%dT%H:%M:%S"),
                       worker=args.worker, traceback=traceback.format_exc(limit=3))
            with open(root / "failures.jsonl", "a") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(f"FAILED {c.relpath}: {rec['error']}", flush=True)
            continue
        rendered += 1
        mb = ((0 if truth_only else out.stat().st_size) + truth_path(out).stat().st_size) / 1e6
        shown = truth_path(out).relative_to(root) if truth_only else c.relpath
        print(f"{shown}  {c.frames} frames  {time.time() - t0:.0f} s  {mb:.2f} MB", flush=True)
    print(f"worker {args.worker}/{args.workers}: {rendered} rendered, {done} already done, {failed} failed "
          f"(of {len(mine)})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
