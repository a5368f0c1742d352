"""Print today's `coach eval` scores on the corpus splits as the floors of tests/test_corpus.py.

    python scripts/eval_floors.py            # dev and test, on the committed recordings

Paste the printed FLOORS into tests/test_corpus.py (with the date) after importing more
clips (scripts/import_corpus.py) or after a change that improves the coach: the test fails
when a score drops below them (or an error rises above them). Never after a change made
because of a test clip: the test split is reported, not tuned on.
"""

from __future__ import annotations

import math
import pprint
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.tools.scoring import score_clips  # noqa: E402

# score -> True when higher is better (a floor), False when lower is better (a ceiling)
HIGHER_IS_BETTER = {
    "tracked_fraction": True, "precision": True, "recall": True, "f1": True,
    "recall_just_past": True, "recall_obvious": True,
    "wrong_cues_per_min_good": False, "corrections_per_min_camera_off": False,
    "camera_unsupported_fraction_camera_off": True, "camera_unsupported_fraction_supported": False,
    "hold_start_error_s_mean": False, "hold_starts_missed": False, "hold_error_s_mean": False,
    "rep_count_error_mean": False, "sides_followed_fraction": True,
}


def bound(value: float, higher_is_better: bool) -> float:
    """Today's value rounded to 3 decimals away from failing (down for a floor, up for a ceiling)."""
    scaled = value * 1000.0
    return (math.floor(scaled + 1e-9) if higher_is_better else math.ceil(scaled - 1e-9)) / 1000.0


def floors(split: str) -> dict:
    s = score_clips([REPO / "samples" / "corpus"], splits=[split]).split_summary()[split]
    out: dict = {"clips": s["clips"]}
    for key, higher in HIGHER_IS_BETTER.items():
        if s.get(key) is not None:
            out[key] = bound(float(s[key]), higher)
    return out


def main() -> int:
    print(f"# measured {date.today().isoformat()} with scripts/eval_floors.py")
    text = pprint.pformat({split: floors(split) for split in ("dev", "test")}, width=110, sort_dicts=False)
    print("FLOORS = " + text.replace("\n", "\n" + " " * len("FLOORS = ")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
