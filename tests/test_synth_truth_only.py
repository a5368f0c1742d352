"""`coach synth batch --corpus --truth-only`: the truth of a corpus clip without rendering it
is the rendered clip's truth (same joints, camera, script), but for visibility (no depth
buffer: inside the picture). Needs the synth extra (torch, anny: scripts/install_synth.sh),
which CI does not install; on a machine with it, this runs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SAMPLES

pytest.importorskip("anny", reason="needs the synth extra: scripts/install_synth.sh")


def test_truth_only_matches_the_rendered_truth(tmp_path):
    from coach.synth.__main__ import main
    from coach.tools.scoring import load_truth

    clip = "dev_passive_hang_good_01"
    rendered = load_truth(SAMPLES / "corpus" / "dev" / "passive_hang" / f"{clip}.truth.json.gz")
    assert main(["batch", "--corpus", "--truth-only", "--split", "dev", "--id", clip, "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.rglob("*.truth.json.gz")
    assert not list(tmp_path.rglob("*.mp4"))
    only = load_truth(path)
    for key in ("xyz_m", "xy_px"):
        a = np.asarray(only["landmarks"][key], float)
        b = np.asarray(rendered["landmarks"][key], float)
        assert a.shape == b.shape and np.allclose(a, b, equal_nan=True), key
    for key in ("events", "phases", "mistakes", "holds", "reps"):
        assert only.get(key) == rendered.get(key), key
    assert only["camera"]["world_to_camera"] == rendered["camera"]["world_to_camera"]
    assert only["clip"]["truth_only"] is True and "truth_only" not in rendered["clip"]
