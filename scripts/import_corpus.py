"""Import the finished clips of the rendered corpus into samples/corpus/ (resumable).

    python scripts/import_corpus.py [--corpus /work/corpus] [--out samples/corpus]
    python scripts/import_corpus.py --videos auto          # choose the videos the e2e test runs
    python scripts/import_corpus.py --videos ID ID ...     # or name them

The corpus is rendered (``coach synth batch --corpus``) into ``CORPUS/<split>/<exercise>/<id>.mp4``
+ ``<id>.truth.json.gz``, and recorded with the pose model into ``<id>.landmarks.npz``. A clip
is finished when all three are there. For every finished clip of the manifest
(``OUT/manifest.json``) this writes

    OUT/<split>/<exercise>/<id>.landmarks.npz    the recording, converted to version 2
    OUT/<split>/<exercise>/<id>.truth.json.gz    the truth, copied as it is

and, for the few clips the end-to-end test runs the model on, ``<id>.mp4``. Videos stay out
of git otherwise (samples/ must stay under 120 MB: see samples/README.md).

``OUT/index.json`` lists what is imported (``coach-corpus-index``, version 1): per clip its
split, exercise, kind, frames, the source recording's size and modification time and the
files written; and ``videos``, the ids whose video is committed. A clip whose source has
not changed since it was imported is skipped, so a re-run as more clips finish costs a
fraction of a second per clip already in. Checks on the way in (a failing clip is listed
and left out): the truth loads and validates, it is the manifest's clip, and the recording
has one frame per video frame.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.files import atomic_write  # noqa: E402
from coach.synth.truth import load as load_truth  # noqa: E402
from coach.synth.truth import validate as validate_truth  # noqa: E402
from coach.vision.recording import load_clip, save_clip  # noqa: E402

INDEX_FORMAT = "coach-corpus-index"
MAX_VIDEOS = 8


def _source(corpus: Path, clip: dict) -> dict[str, Path]:
    base = corpus / clip["split"] / clip["exercise"] / clip["id"]
    return {"video": base.with_suffix(".mp4"), "truth": base.with_name(clip["id"] + ".truth.json.gz"),
            "landmarks": base.with_name(clip["id"] + ".landmarks.npz")}


def _target(out: Path, clip: dict) -> dict[str, Path]:
    return _source(out, clip)


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def load_index(out: Path) -> dict:
    path = out / "index.json"
    if path.exists():
        index = json.loads(path.read_text(encoding="utf-8"))
        if index.get("format") != INDEX_FORMAT:
            raise SystemExit(f"{path} is not a {INDEX_FORMAT} file")
        return index
    return {"format": INDEX_FORMAT, "version": 1, "clips": {}, "videos": []}


def import_clip(corpus: Path, out: Path, clip: dict) -> dict:
    """Import one finished clip; returns its index entry. Raises ValueError on a bad clip."""
    src, dst = _source(corpus, clip), _target(out, clip)
    truth = load_truth(src["truth"])
    problems = validate_truth(truth)
    if problems:
        raise ValueError(f"truth does not validate: {problems[0]}")
    info = truth["clip"]
    if info.get("id") not in (None, clip["id"]) or info["exercise"] != clip["exercise"]:
        raise ValueError(f"truth is of {info.get('id')} / {info['exercise']}, not the manifest's clip")
    recording = load_clip(src["landmarks"])
    frames = int(truth["video"]["frame_count"])
    if len(recording) != frames:
        raise ValueError(f"recording has {len(recording)} frames, the video {frames}")
    rel = f"samples/corpus/{clip['split']}/{clip['exercise']}/{clip['id']}.mp4"
    recording.meta = {**recording.meta, "source": rel,
                      "imported": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    dst["landmarks"].parent.mkdir(parents=True, exist_ok=True)
    save_clip(recording, dst["landmarks"])
    atomic_write(dst["truth"], src["truth"].read_bytes(), mode=0o644)
    dst["landmarks"].chmod(0o644)
    return {"split": clip["split"], "exercise": clip["exercise"], "kind": clip["kind"], "mistake": clip["mistake"],
            "frames": frames, "source_landmarks": _stamp(src["landmarks"]), "source_truth": _stamp(src["truth"]),
            "bytes": {"landmarks": dst["landmarks"].stat().st_size, "truth": dst["truth"].stat().st_size}}


def choose_videos(manifest: dict, index: dict) -> list[str]:
    """Short test clips for the end-to-end test: per exercise the shortest imported test
    clip, preferring mistake clips (a cue to catch); at least one of them mirrored. An
    exercise's video already chosen stays unless a mistake clip replaces a good one or a
    clip under 70 % of its length comes (each swap adds a video to git's history)."""
    clips = {c["id"]: c for c in manifest["clips"]}
    test = [clips[i] for i, e in index["clips"].items() if e["split"] == "test"]
    before = {clips[v]["exercise"]: clips[v] for v in index.get("videos", []) if v in clips}
    chosen: list[dict] = []
    for exercise in sorted({c["exercise"] for c in test}):
        own = sorted((c for c in test if c["exercise"] == exercise), key=lambda c: (c["kind"] != "mistake", c["frames"]))
        best, old = own[0], before.get(exercise)
        if old is not None and old["id"] in index["clips"] and not (
                (best["kind"] == "mistake" and old["kind"] != "mistake") or best["frames"] < 0.7 * old["frames"]):
            best = old
        chosen.append(best)
    chosen = chosen[:MAX_VIDEOS]
    if not any(c["camera"]["mirrored"] for c in chosen):
        mirrored = sorted((c for c in test if c["camera"]["mirrored"]), key=lambda c: c["frames"])
        if mirrored:
            if len(chosen) == MAX_VIDEOS:  # swap it for the clip of the same exercise
                chosen = [c for c in chosen if c["exercise"] != mirrored[0]["exercise"]]
            chosen.append(mirrored[0])
    return [c["id"] for c in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"), help="where the corpus is rendered")
    parser.add_argument("--out", type=Path, default=REPO / "samples" / "corpus", help="samples/corpus")
    parser.add_argument("--videos", nargs="+", metavar="ID|auto", help="the clips whose video is committed")
    args = parser.parse_args(argv)
    out: Path = args.out
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    index = load_index(out)
    t0 = time.monotonic()
    counts = {"imported": 0, "unchanged": 0, "unfinished": 0, "failed": 0}
    for clip in manifest["clips"]:
        src = _source(args.corpus, clip)
        if not all(p.exists() for p in src.values()):
            counts["unfinished"] += 1
            continue
        entry = index["clips"].get(clip["id"])
        dst = _target(out, clip)
        if (entry and entry["source_landmarks"] == _stamp(src["landmarks"])
                and entry["source_truth"] == _stamp(src["truth"]) and dst["landmarks"].exists() and dst["truth"].exists()):
            counts["unchanged"] += 1
            continue
        try:
            index["clips"][clip["id"]] = import_clip(args.corpus, out, clip)
        except (ValueError, OSError) as exc:
            counts["failed"] += 1
            print(f"failed   {clip['id']}: {exc}", file=sys.stderr)
            continue
        counts["imported"] += 1
        print(f"imported {clip['id']}  {index['clips'][clip['id']]['frames']} frames")
    order = {c["id"]: c["order"] for c in manifest["clips"]}
    index["clips"] = dict(sorted(index["clips"].items(), key=lambda kv: order[kv[0]]))
    if args.videos:
        index["videos"] = choose_videos(manifest, index) if args.videos == ["auto"] else list(args.videos)
        if len(index["videos"]) > MAX_VIDEOS + 1:
            raise SystemExit(f"at most {MAX_VIDEOS + 1} videos (8 + one mirrored); got {len(index['videos'])}")
    clips = {c["id"]: c for c in manifest["clips"]}
    for vid in index["videos"]:
        if vid not in index["clips"]:
            raise SystemExit(f"--videos: {vid} is not imported")
        src, dst = _source(args.corpus, clips[vid])["video"], _target(out, clips[vid])["video"]
        if not src.exists():   # rendered on another machine: the committed copy stays
            if not dst.exists():
                raise SystemExit(f"--videos: {vid}: neither {src} nor {dst} exists")
            continue
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
    for stale in out.rglob("*.mp4"):  # a video no longer chosen leaves the folder
        if stale.name[: -len(".mp4")] not in index["videos"]:
            stale.unlink()
    text = json.dumps(index, indent=1) + "\n"
    if not (out / "index.json").exists() or (out / "index.json").read_text(encoding="utf-8") != text:
        atomic_write(out / "index.json", text, mode=0o644)
    n_frames = sum(e["frames"] for e in index["clips"].values())
    rec_bytes = sum(e["bytes"]["landmarks"] for e in index["clips"].values())
    truth_bytes = sum(e["bytes"]["truth"] for e in index["clips"].values())
    video_bytes = sum(p.stat().st_size for p in out.rglob("*.mp4"))
    per_split = {}
    for e in index["clips"].values():
        per_split[e["split"]] = per_split.get(e["split"], 0) + 1
    print(", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({time.monotonic() - t0:.1f} s)")
    print(f"samples/corpus: {len(index['clips'])} of {len(manifest['clips'])} clips "
          f"({', '.join(f'{k} {v}' for k, v in sorted(per_split.items()))}), {n_frames} frames; recordings "
          f"{rec_bytes / 1e6:.2f} MB ({rec_bytes / max(n_frames, 1):.0f} B a frame), truth {truth_bytes / 1e6:.2f} MB, "
          f"videos {len(index['videos'])} {video_bytes / 1e6:.2f} MB")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
