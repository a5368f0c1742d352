"""Record the real photos' poses (tests/fixtures/real_photos/poses.npz) with the real pose
model, so `coach eval --photos` and the tests replay them without the model. Re-run after
changing the estimator, its skeleton check or the model (tests/test_photos.py's e2e test
says when the file is no longer current).

    python scripts/record_photo_poses.py [FOLDER] [--out poses.npz]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.tools.photos import EXPECTATIONS, POSES, load_expectations, poses_meta, record_poses, save_poses  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REPO / "tests" / "fixtures" / "real_photos")
    parser.add_argument("--out", type=Path, default=None, help=f"default: FOLDER/{POSES}")
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    files = list(load_expectations(args.folder / EXPECTATIONS))
    t0 = time.perf_counter()
    poses = record_poses(args.folder, files, model=args.model,
                         on_photo=lambda name: print(f"  {name}", file=sys.stderr))
    out = save_poses(args.out or args.folder / POSES, poses, poses_meta(args.model))
    print(f"{len(files)} photos x {len({e for _, e in poses})} exercises in {time.perf_counter() - t0:.0f} s "
          f"-> {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
