"""Truth format version 2: packed per-frame arrays that load() unpacks; version 1 still loads."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from coach.synth import truth as T

ROOT = Path(__file__).resolve().parents[1]
V1_SAMPLES = sorted((ROOT / "samples").glob("*/good.truth.json.gz"))


def _truth(n=120, **over):
    rng = np.random.default_rng(0)
    t = np.arange(n)[:, None, None]
    xyz = np.zeros((n, 33, 3))
    xyz[..., 0] = np.linspace(-0.5, 0.5, 33)[None] + 0.1 * np.sin(t[..., 0] / 7)
    xyz[..., 2] = 0.2 + np.arange(33)[None] * 0.02 + 0.001 * rng.normal(size=(n, 33))
    xyz[:, 1] = np.nan                                 # unmapped landmark
    xy = xyz[..., :2] * 300 + 320
    xy[5, 3] = [9000.5, -4000.2]                       # far outside the image: int32 path
    kw = dict(exercise="cat_cow", mistake="too_fast", sides=[], seed=3, variation={}, fps=15.0,
              image_wh=(640, 480), camera=dict(K=np.eye(3).tolist(), world_to_camera=np.eye(4).tolist(), mirrored=True),
              xy_px=xy, xyz_m=xyz, visible=rng.random((n, 33)) > 0.3,
              script_values={"flex": np.sin(np.arange(n) / 9), "neck": np.where(np.arange(n) == 4, np.nan, 1.0)},
              phases=[dict(phase="setup", side=None, rep=None, start_ms=0, end_ms=round(n * 1000 / 15))],
              mistakes=[dict(rule="too_fast", side=None, onset_ms=0, end_ms=None, size="just_past", amount=3.2,
                             unit="s per cycle (calm >= 4)", description="x")],
              events=[dict(time_ms=100, kind="cue", rule="too_fast", side=None)], notes=[], video_name="x.mp4",
              generator="test", clip_extra=dict(id="dev_cat_cow_too_fast_jp", split="dev", kind="mistake",
                                                size="just_past", style={"tempo": 1.2}),
              expected=dict(camera_supported=True))
    kw.update(over)
    return T.build(**kw)


def test_v2_round_trips_exactly(tmp_path) -> None:
    tr = _truth()
    assert tr["version"] == 2 and T.validate(tr) == []
    p = T.write(tr, tmp_path / "x.truth.json.gz")
    back = T.load(p)
    assert back == tr
    assert back["landmarks"]["xy_px"][5][3] == [9000.5, -4000.2]
    assert back["landmarks"]["xyz_m"][0][1] is None
    assert back["script"]["neck"][4] is None and back["script"]["neck"][5] == 1.0
    raw = json.loads(gzip.open(p).read())
    assert raw["packed"] is True and "xy_px" not in raw["landmarks"]
    assert raw["clip"]["mistake"] == "too_fast"        # plain-JSON readers still see the clip


def test_v2_is_compact(tmp_path) -> None:
    n = 900   # 60 s at 15 fps
    t = np.arange(n) / 15
    xyz = np.zeros((n, 33, 3))
    xyz[..., 0] = np.linspace(-0.8, 0.8, 33)[None] + 0.15 * np.sin(2 * np.pi * t / 6)[:, None]
    xyz[..., 1] = 0.1 * np.cos(np.arange(33))[None]
    xyz[..., 2] = 0.1 + 0.03 * np.arange(33)[None] + 0.1 * np.sin(2 * np.pi * t / 6)[:, None]
    tr = _truth(n=n, xyz_m=xyz, xy_px=xyz[..., :2] * 400 + 320, visible=np.ones((n, 33), bool),
                script_values={k: np.sin(t / (i + 2)) for i, k in enumerate("abcdefghij")},
                phases=[dict(phase="setup", side=None, rep=None, start_ms=0, end_ms=60000)],
                mistakes=[], events=[], mistake=None, clip_extra=dict(kind="good"))
    p = T.write(tr, tmp_path / "x.truth.json.gz")
    assert p.stat().st_size <= 60_000, p.stat().st_size


def test_pack_array_handles_nan_and_big_values() -> None:
    a = np.array([[0.0, np.nan, 1e5], [0.1, 2.0, -1e5], [np.nan, np.nan, np.nan]])
    back = T.unpack_array(T.pack_array(a, 1))
    np.testing.assert_array_equal(np.isnan(back), np.isnan(a))
    np.testing.assert_allclose(back[~np.isnan(a)], a[~np.isnan(a)])


@pytest.mark.parametrize("breakage, fragment", [
    (lambda t: t["mistakes"][0].update(size=3.2), "mistakes[0].size"),
    (lambda t: t["mistakes"][0].pop("amount"), "mistakes[0].amount"),
    (lambda t: t["clip"].update(kind="camera_off"), "camera_supported"),
    (lambda t: t["camera"].pop("mirrored"), "camera.mirrored"),
    (lambda t: t["clip"].update(kind="meh"), "clip.kind"),
])
def test_validate_v2_fields(breakage, fragment) -> None:
    tr = _truth()
    breakage(tr)
    errs = T.validate(tr)
    assert errs and any(fragment in e for e in errs), errs


def test_the_committed_samples_are_there() -> None:
    assert len(V1_SAMPLES) >= 3, "samples/*/good.truth.json.gz are missing: they are committed (git checkout -- " \
        "samples), or render them again with `python -m coach.synth batch --out samples`"


@pytest.mark.parametrize("path", V1_SAMPLES[:3], ids=lambda p: p.parent.name)
def test_v1_files_still_load(path: Path) -> None:
    tr = T.load(path)
    assert tr["version"] == 1 and T.validate(tr) == []
    n = tr["video"]["frame_count"]
    assert len(tr["landmarks"]["xy_px"]) == n and isinstance(tr["landmarks"]["visible_bits"][0], int)
    assert isinstance(tr["measures"]["values"]["left_knee_deg"], list)
