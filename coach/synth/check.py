"""Does MediaPipe see the rendered person? Detection rate and landmark error per clip.

Run with the runtime venv (mediapipe), not the renderer's:
    python -m coach.synth.check samples/ [--model models/pose_landmarker_full.task] [--json out.json]

Two passes per clip: "video" (VIDEO running mode, as the product runs) and "image_rot"
(IMAGE mode, retrying a frame with no person on the image turned 90 deg each way, the
fix from SYNTH.md). Error = distance in pixels between MediaPipe's landmark and the true
one, over the 12 limb joints that are visible in the truth.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from coach.synth import truth as truth_mod

BODY12 = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
# BlazePose left <-> right. On a mirrored (selfie) picture MediaPipe names sides by how the
# body looks, so its "left" landmark is the person's anatomical right: the truth keeps
# anatomical names, and the check compares MediaPipe's j with the truth's SWAP[j].
SWAP = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21, 24, 23, 26, 25,
        28, 27, 30, 29, 32, 31]


def _landmarker(model: str, video: bool):
    from mediapipe.tasks.python import BaseOptions, vision
    mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
    return vision.PoseLandmarker.create_from_options(
        vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=model), running_mode=mode))


def _frames(path: Path):
    import cv2
    cap = cv2.VideoCapture(str(path))
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    cap.release()


def check_clip(video: Path, model: str, step: int = 1, modes=("video", "image_rot")) -> dict:
    import cv2
    import mediapipe as mp
    tr = truth_mod.load(truth_mod.truth_path(video))
    fps = tr["video"]["fps"]
    w, h = tr["video"]["image_wh"]
    true_xy = tr["landmarks"]["xy_px"]
    vbits = tr["landmarks"]["visible_bits"]
    mirrored = bool(tr["camera"].get("mirrored"))
    tj = SWAP if mirrored else list(range(33))
    res = {}
    for mode in modes:
        det, errs, n = 0, [], 0
        with _landmarker(model, mode == "video") as lm:
            for i, img in enumerate(_frames(video)):
                if i % step:
                    continue
                n += 1
                mpi = mp.Image(image_format=mp.ImageFormat.SRGB, data=img)
                if mode == "video":
                    r = lm.detect_for_video(mpi, int(round(i * 1000 / fps)))
                    pts = r.pose_landmarks[0] if r.pose_landmarks else None
                    xy = [(p.x * w, p.y * h) for p in pts] if pts else None
                else:
                    r = lm.detect(mpi)
                    xy = [(p.x * w, p.y * h) for p in r.pose_landmarks[0]] if r.pose_landmarks else None
                    if xy is None:
                        for code in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE):
                            rr = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(cv2.rotate(img, code))))
                            if rr.pose_landmarks:
                                if code == cv2.ROTATE_90_CLOCKWISE:
                                    xy = [(p.y * w, (1 - p.x) * h) for p in rr.pose_landmarks[0]]
                                else:
                                    xy = [((1 - p.y) * w, p.x * h) for p in rr.pose_landmarks[0]]
                                break
                if xy is None:
                    continue
                det += 1
                for j in BODY12:
                    t = true_xy[i][tj[j]]
                    if t is not None and (vbits[i] >> tj[j]) & 1:
                        errs.append(float(np.hypot(xy[j][0] - t[0], xy[j][1] - t[1])))
        res[mode] = dict(frames=n, detected=det, rate=round(det / max(n, 1), 3), mirrored=mirrored,
                         mean_px_err=round(float(np.mean(errs)), 1) if errs else None,
                         median_px_err=round(float(np.median(errs)), 1) if errs else None)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coach.synth.check")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--model", default="models/pose_landmarker_full.task")
    ap.add_argument("--json", default=None, help="merge results into this JSON file")
    ap.add_argument("--step", type=int, default=1, help="check every n-th frame only")
    ap.add_argument("--modes", default="video,image_rot", help="comma list of: video, image_rot")
    args = ap.parse_args(argv)
    vids: list[Path] = []
    for p in map(Path, args.paths):
        vids += sorted(p.rglob("*.mp4")) if p.is_dir() else [p]
    out = {}
    if args.json and Path(args.json).exists():
        out = json.loads(Path(args.json).read_text())
    for v in vids:
        r = check_clip(v, args.model, args.step, tuple(args.modes.split(",")))
        out[str(v)] = r
        print(f"{v}: " + "  ".join(f"{k} {x['rate']:.0%} (err {x['mean_px_err']} px)" for k, x in r.items()), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
