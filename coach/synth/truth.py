"""Ground-truth files for rendered clips: build, write, read, validate. Numpy only.

Format "coach-synth-truth", version 2 (documented in samples/README.md). One gzipped
JSON file per clip, next to the video: ``<name>.mp4`` + ``<name>.truth.json.gz``.

Version 2 stores the per-frame arrays (landmarks, visibility, measures, script values)
packed: quantised integers, delta-coded along time, zlib, base64 (``pack_array``). ``load``
unpacks them, so a loaded truth has the same structure as version 1 (nested lists, None
for missing values) plus the new fields; version 1 files still load unchanged.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import zlib
from pathlib import Path

import numpy as np

FORMAT = "coach-synth-truth"
VERSION = 2
READABLE_VERSIONS = (1, 2)
SIZES = ("just_past", "obvious")
KINDS = ("good", "mistake", "camera_off")
# decimals kept per array (v1 and v2 alike)
DECIMALS = {"xy_px": 1, "xyz_m": 3, "deg": 1, "m": 3, "script": 2}
TRUTH_SUFFIX = ".truth.json.gz"

LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
PHASES = ("setup", "move", "hold", "return", "rest", "lean", "cow", "cat", "rock")
EVENT_KINDS = ("cue", "hold_start", "hold_reached", "rep", "side_done", "exercise_done")

# measure name -> (unit, description); all from the true 3D landmarks, world frame, Z up
MEASURES = {
    "left_knee_deg": ("deg", "angle hip-knee-ankle, left"),
    "right_knee_deg": ("deg", "angle hip-knee-ankle, right"),
    "left_hip_deg": ("deg", "angle shoulder-hip-knee, left"),
    "right_hip_deg": ("deg", "angle shoulder-hip-knee, right"),
    "left_elbow_deg": ("deg", "angle shoulder-elbow-wrist, left"),
    "right_elbow_deg": ("deg", "angle shoulder-elbow-wrist, right"),
    "left_shoulder_abduction_deg": ("deg", "angle hip-shoulder-elbow, left"),
    "right_shoulder_abduction_deg": ("deg", "angle hip-shoulder-elbow, right"),
    "trunk_incline_deg": ("deg", "hip-mid -> shoulder-mid vs world up (0 upright, 90 lying)"),
    "shoulder_line_tilt_deg": ("deg", "shoulder line vs the floor plane, + = left shoulder higher"),
    "hip_line_tilt_deg": ("deg", "hip line vs the floor plane, + = left hip higher"),
    "shoulder_hip_twist_deg": ("deg", "shoulder line vs hip line about the trunk axis"),
    "wrist_ear_left_m": ("m", "distance left wrist - left ear"),
    "wrist_ear_right_m": ("m", "distance right wrist - right ear"),
    "nose_height_m": ("m", "nose height above the floor"),
    "hip_mid_height_m": ("m", "hip midpoint height above the floor"),
    "ankle_min_height_m": ("m", "lower ankle height above the floor"),
}


def _angle(a, b, c):
    u, v = a - b, c - b
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _tilt(a, b):
    d = a - b
    return np.degrees(np.arctan2(d[..., 2], np.linalg.norm(d[..., :2], axis=-1)))


def measures(xyz: np.ndarray) -> dict[str, np.ndarray]:
    """True measures per frame from (T,33,3) world landmarks (Z up)."""
    L = {n: xyz[:, i] for i, n in enumerate(LANDMARK_NAMES)}
    sh_mid = (L["left_shoulder"] + L["right_shoulder"]) / 2
    hip_mid = (L["left_hip"] + L["right_hip"]) / 2
    trunk = sh_mid - hip_mid
    up = np.array([0, 0, 1.0])
    out = {}
    for s in ("left", "right"):
        out[f"{s}_knee_deg"] = _angle(L[f"{s}_hip"], L[f"{s}_knee"], L[f"{s}_ankle"])
        out[f"{s}_hip_deg"] = _angle(L[f"{s}_shoulder"], L[f"{s}_hip"], L[f"{s}_knee"])
        out[f"{s}_elbow_deg"] = _angle(L[f"{s}_shoulder"], L[f"{s}_elbow"], L[f"{s}_wrist"])
        out[f"{s}_shoulder_abduction_deg"] = _angle(L[f"{s}_hip"], L[f"{s}_shoulder"], L[f"{s}_elbow"])
    out["trunk_incline_deg"] = _angle(hip_mid + up, hip_mid, hip_mid + trunk)
    out["shoulder_line_tilt_deg"] = _tilt(L["left_shoulder"], L["right_shoulder"])
    out["hip_line_tilt_deg"] = _tilt(L["left_hip"], L["right_hip"])
    ax = trunk / np.linalg.norm(trunk, axis=-1, keepdims=True)

    def perp(v):
        v = v - np.sum(v * ax, -1, keepdims=True) * ax
        return v / np.linalg.norm(v, axis=-1, keepdims=True)
    s_line = perp(L["left_shoulder"] - L["right_shoulder"])
    h_line = perp(L["left_hip"] - L["right_hip"])
    out["shoulder_hip_twist_deg"] = np.degrees(np.arctan2(np.sum(np.cross(h_line, s_line) * ax, -1), np.sum(h_line * s_line, -1)))
    out["wrist_ear_left_m"] = np.linalg.norm(L["left_wrist"] - L["left_ear"], axis=-1)
    out["wrist_ear_right_m"] = np.linalg.norm(L["right_wrist"] - L["right_ear"], axis=-1)
    out["nose_height_m"] = L["nose"][:, 2]
    out["hip_mid_height_m"] = hip_mid[:, 2]
    out["ankle_min_height_m"] = np.minimum(L["left_ankle"][:, 2], L["right_ankle"][:, 2])
    return out


def _round_1d(a: np.ndarray, decimals: int) -> list:
    """1-D array -> list, NaN -> None per value."""
    a = np.round(np.asarray(a, dtype=np.float64), decimals)
    return [None if v != v else v for v in a.tolist()]


def _round_nested(a: np.ndarray, decimals: int):
    """Array -> nested lists, NaN -> None (JSON null)."""
    a = np.round(np.asarray(a, dtype=np.float64), decimals)
    obj = a.tolist()

    def fix(x):
        if isinstance(x, list):
            if x and not isinstance(x[0], list) and any(v != v for v in x):
                return None  # a point with NaN -> null
            return [fix(y) for y in x]
        return None if x != x else x
    return fix(obj)


def build(*, exercise: str, mistake: str | None, sides: list, seed: int, variation: dict, fps: float,
          image_wh: tuple[int, int], camera: dict, xy_px: np.ndarray, xyz_m: np.ndarray,
          visible: np.ndarray, script_values: dict[str, np.ndarray], phases: list, mistakes: list,
          events: list, notes: list[str], video_name: str, generator: str,
          visible_margin_m: list[float] | None = None, clip_extra: dict | None = None,
          expected: dict | None = None) -> dict:
    """The truth dict for one clip (see samples/README.md), in its loaded (unpacked) form.

    clip_extra: corpus fields merged into ``clip`` (id, split, kind, size, style, body, room,
    glances, ...); expected: what a perfect coach concludes beyond cues (camera_supported)."""
    t = len(xy_px)
    meas = measures(xyz_m)
    holds = [dict(side=p["side"], start_ms=p["start_ms"], end_ms=p["end_ms"],
                  duration_s=round((p["end_ms"] - p["start_ms"]) / 1000, 3))
             for p in phases if p["phase"] == "hold"]
    reps: dict = {}
    for p in phases:
        if p["rep"] is not None:
            key = (p["side"], p["rep"])
            r = reps.setdefault(key, dict(side=p["side"], rep=p["rep"], start_ms=p["start_ms"], end_ms=p["end_ms"]))
            r["start_ms"], r["end_ms"] = min(r["start_ms"], p["start_ms"]), max(r["end_ms"], p["end_ms"])
    mapped = [bool(np.isfinite(xyz_m[:, i]).all()) for i in range(33)]
    bits = (np.asarray(visible, bool) * (1 << np.arange(33, dtype=np.int64))).sum(1)
    clip = dict(video=video_name, exercise=exercise, mistake=mistake, sides=sides, seed=seed,
                variation=variation, generator=generator, notes=notes)
    clip.setdefault("kind", "good" if mistake is None else "mistake")
    clip.setdefault("size", None if mistake is None else (mistakes[0].get("size") if mistakes else None))
    clip.update(clip_extra or {})
    return {
        "format": FORMAT, "version": VERSION,
        "clip": clip,
        "expected": {"camera_supported": True, **(expected or {})},
        "video": dict(fps=fps, frame_count=t, duration_ms=round(t * 1000 / fps), image_wh=list(image_wh),
                      frame_time_ms="frame i is shown at i * 1000 / fps"),
        "camera": {"mirrored": False, **camera},
        "landmarks": dict(names=list(LANDMARK_NAMES), mapped=mapped,
                          xy_px=_round_nested(xy_px, 1), xyz_m=_round_nested(xyz_m, 3),
                          visible_bits=[int(b) for b in bits],
                          **({"visible_margin_m": visible_margin_m} if visible_margin_m is not None else {})),
        "measures": dict(units={k: MEASURES[k][0] for k in meas},
                         descriptions={k: MEASURES[k][1] for k in meas},
                         values={k: _round_1d(v, 1 if k.endswith("_deg") else 3) for k, v in meas.items()}),
        "script": {k: _round_1d(v, 2) for k, v in script_values.items()},
        "phases": phases, "holds": holds, "reps": sorted(reps.values(), key=lambda r: r["start_ms"]),
        "mistakes": mistakes, "events": sorted(events, key=lambda e: e["time_ms"]),
    }


def truth_path(video: Path | str) -> Path:
    video = Path(video)
    return video.with_name(video.stem + TRUTH_SUFFIX)


# ----------------------------------------------------------------------------- packing (v2)
def pack_array(a, decimals: int) -> dict:
    """A float array (time first; NaN allowed) -> a JSON-able dict: values * 10**decimals as
    integers, differenced along axis 0, little-endian int16/int32, zlib, base64; NaNs as a
    packed bit mask."""
    a = np.asarray(a, dtype=np.float64)
    nan = ~np.isfinite(a)
    q = np.round(np.where(nan, 0.0, a) * 10 ** decimals).astype(np.int64)
    d = q.copy()
    if len(d) > 1:
        d[1:] = q[1:] - q[:-1]
    dtype = "<i2" if (d.size == 0 or (np.abs(d).max() < 32767)) else "<i4"
    # byte planes (all low bytes, then all high bytes) compress better than interleaved ints
    raw = np.ascontiguousarray(d.astype(dtype)).view(np.uint8).reshape(-1, np.dtype(dtype).itemsize).T.tobytes()
    out = dict(enc="q-delta-zlib", dtype=dtype, decimals=decimals, shape=list(a.shape),
               data=base64.b64encode(zlib.compress(raw, 9)).decode("ascii"))
    if nan.any():
        out["nan"] = base64.b64encode(zlib.compress(np.packbits(nan.ravel()).tobytes(), 9)).decode("ascii")
    return out


def unpack_array(p: dict) -> np.ndarray:
    """The float array of ``pack_array`` (NaN where missing)."""
    shape = tuple(p["shape"])
    size = int(np.prod(shape)) if shape else 1
    item = np.dtype(p["dtype"]).itemsize
    raw = np.frombuffer(zlib.decompress(base64.b64decode(p["data"])), np.uint8)
    d = raw.reshape(item, size).T.copy().view(p["dtype"]).reshape(shape).astype(np.int64)
    q = np.cumsum(d, axis=0) if len(shape) and shape[0] > 1 else d
    a = q / 10 ** p["decimals"]
    if "nan" in p:
        bits = np.unpackbits(np.frombuffer(zlib.decompress(base64.b64decode(p["nan"])), np.uint8))[:size]
        a = np.where(bits.reshape(shape).astype(bool), np.nan, a)
    return a


def _points_to_array(rows, dim: int) -> np.ndarray:
    return np.array([[p if p is not None else [np.nan] * dim for p in fr] for fr in rows], dtype=np.float64)


def _values_to_array(vals) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in vals], dtype=np.float64)


def pack(truth: dict) -> dict:
    """The on-disk (version 2) form of a truth dict: per-frame arrays packed."""
    d = copy.copy(truth)
    lm = dict(truth["landmarks"])
    n = len(lm["xy_px"])
    bits = np.array([[(b >> j) & 1 for j in range(33)] for b in lm["visible_bits"]], dtype=np.uint8).reshape(n, 33)
    lm["packed"] = dict(
        xy_px=pack_array(_points_to_array(lm.pop("xy_px"), 2), DECIMALS["xy_px"]),
        xyz_m=pack_array(_points_to_array(lm.pop("xyz_m"), 3), DECIMALS["xyz_m"]),
        visible=dict(enc="packbits-zlib", shape=[n, 33],
                     data=base64.b64encode(zlib.compress(np.packbits(bits.ravel()).tobytes(), 9)).decode("ascii")))
    lm.pop("visible_bits")
    d["landmarks"] = lm
    meas = dict(truth["measures"])
    meas["values"] = {k: pack_array(_values_to_array(v), DECIMALS["deg"] if k.endswith("_deg") else DECIMALS["m"])
                      for k, v in meas["values"].items()}
    d["measures"] = meas
    d["script"] = {k: pack_array(_values_to_array(v), DECIMALS["script"]) for k, v in truth["script"].items()}
    d["packed"] = True
    return d


def unpack(d: dict) -> dict:
    """The loaded form (nested lists, None for missing) of an on-disk truth dict."""
    if not d.get("packed"):
        return d
    d = dict(d)
    d.pop("packed")
    lm = dict(d["landmarks"])
    pk = lm.pop("packed")
    xy = unpack_array(pk["xy_px"])
    xyz = unpack_array(pk["xyz_m"])
    lm["xy_px"] = _round_nested(xy, DECIMALS["xy_px"])
    lm["xyz_m"] = _round_nested(xyz, DECIMALS["xyz_m"])
    n = pk["visible"]["shape"][0]
    bits = np.unpackbits(np.frombuffer(zlib.decompress(base64.b64decode(pk["visible"]["data"])), np.uint8))[: n * 33]
    bits = bits.reshape(n, 33).astype(np.int64)
    lm["visible_bits"] = [int(b) for b in (bits << np.arange(33, dtype=np.int64)).sum(1)]
    d["landmarks"] = lm
    meas = dict(d["measures"])
    meas["values"] = {k: _round_1d(unpack_array(v), v["decimals"]) for k, v in meas["values"].items()}
    d["measures"] = meas
    d["script"] = {k: _round_1d(unpack_array(v), v["decimals"]) for k, v in d["script"].items()}
    return d


def write(truth: dict, path: Path | str) -> Path:
    """Write a truth dict (version 2: packed arrays; version 1 dicts are written as they are)."""
    path = Path(path)
    body = pack(truth) if truth.get("version", VERSION) >= 2 else truth
    data = json.dumps(body, separators=(",", ":")).encode()
    with gzip.GzipFile(path, "wb", mtime=0, compresslevel=9) as f:
        f.write(data)
    return path


def load(path: Path | str) -> dict:
    """A truth file (version 1 or 2) as nested lists: see samples/README.md."""
    with gzip.open(Path(path), "rb") as f:
        d = json.loads(f.read())
    return unpack(d)


def validate(truth: dict) -> list[str]:
    """Problems with a truth dict (empty when valid)."""
    errs: list[str] = []

    def need(cond, msg):
        if not cond:
            errs.append(msg)
    need(truth.get("format") == FORMAT, f"format: expected {FORMAT!r}, got {truth.get('format')!r}")
    need(truth.get("version") in READABLE_VERSIONS,
         f"version: expected one of {list(READABLE_VERSIONS)}, got {truth.get('version')!r}")
    for key in ("clip", "video", "camera", "landmarks", "measures", "script", "phases", "holds", "reps", "mistakes", "events"):
        need(key in truth, f"{key}: missing")
    if errs:
        return errs
    v = truth["video"]
    n = v.get("frame_count")
    need(isinstance(n, int) and n > 0, f"video.frame_count: expected a positive int, got {n!r}")
    need(isinstance(v.get("fps"), (int, float)) and v["fps"] > 0, f"video.fps: expected > 0, got {v.get('fps')!r}")
    need(v.get("image_wh") and len(v["image_wh"]) == 2, "video.image_wh: expected [w, h]")
    if errs:
        return errs
    need(abs(v["duration_ms"] - n * 1000 / v["fps"]) <= 1, "video.duration_ms: must equal frame_count * 1000 / fps")
    cam = truth["camera"]
    need(np.shape(cam.get("K")) == (3, 3), "camera.K: expected 3x3")
    need(np.shape(cam.get("world_to_camera")) == (4, 4), "camera.world_to_camera: expected 4x4")
    lm = truth["landmarks"]
    need(list(lm.get("names", [])) == list(LANDMARK_NAMES), "landmarks.names: expected the 33 BlazePose names in index order")
    for key, dim in (("xy_px", 2), ("xyz_m", 3)):
        arr = lm.get(key, [])
        need(len(arr) == n, f"landmarks.{key}: expected {n} frames, got {len(arr)}")
        for i, fr in enumerate(arr[:: max(1, n // 20)]):
            ok = len(fr) == 33 and all(p is None or len(p) == dim for p in fr)
            if not ok:
                errs.append(f"landmarks.{key}[{i}]: expected 33 points of {dim} numbers or null")
                break
    need(len(lm.get("visible_bits", [])) == n, "landmarks.visible_bits: expected one int per frame")
    for k, vals in truth["measures"].get("values", {}).items():
        need(len(vals) == n, f"measures.values.{k}: expected {n} values, got {len(vals)}")
    for k, vals in truth["script"].items():
        need(len(vals) == n, f"script.{k}: expected {n} values, got {len(vals)}")
    dur = v["duration_ms"]
    last = 0
    for i, p in enumerate(truth["phases"]):
        need(p.get("phase") in PHASES, f"phases[{i}].phase: expecting one of {list(PHASES)}, got {p.get('phase')!r}")
        need(0 <= p["start_ms"] < p["end_ms"] <= dur + 1, f"phases[{i}]: bad span {p['start_ms']}..{p['end_ms']} (clip {dur} ms)")
        need(p["start_ms"] >= last - 1, f"phases[{i}]: overlaps the previous phase")
        last = p["end_ms"]
    for i, m in enumerate(truth["mistakes"]):
        need(isinstance(m.get("rule"), str) and m["rule"], f"mistakes[{i}].rule: expected a rule id")
        need(0 <= m.get("onset_ms", -1) <= dur + 1, f"mistakes[{i}].onset_ms: outside the clip")
        need(m.get("end_ms") is None or m["onset_ms"] <= m["end_ms"] <= dur + 1, f"mistakes[{i}].end_ms: bad")
    for i, e in enumerate(truth["events"]):
        need(e.get("kind") in EVENT_KINDS, f"events[{i}].kind: expecting one of {list(EVENT_KINDS)}, got {e.get('kind')!r}")
        need(0 <= e.get("time_ms", -1) <= dur + 1, f"events[{i}].time_ms: outside the clip")
        need(e.get("kind") != "cue" or isinstance(e.get("rule"), str), f"events[{i}]: a cue needs a rule id")
    rules = {m["rule"] for m in truth["mistakes"]}
    clip_m = truth["clip"].get("mistake")
    need(clip_m is None or clip_m in rules, f"clip.mistake {clip_m!r} has no entry in mistakes")
    if truth.get("version") == 2:
        clip = truth["clip"]
        need(clip.get("kind") in KINDS, f"clip.kind: expecting one of {list(KINDS)}, got {clip.get('kind')!r}")
        need((clip.get("kind") == "mistake") == (clip_m is not None), "clip.kind: 'mistake' exactly when clip.mistake is set")
        need(isinstance(truth.get("expected", {}).get("camera_supported"), bool), "expected.camera_supported: expected a bool")
        need((clip.get("kind") == "camera_off") == (truth.get("expected", {}).get("camera_supported") is False),
             "expected.camera_supported: false exactly for camera_off clips")
        need(isinstance(truth["camera"].get("mirrored"), bool), "camera.mirrored: expected a bool")
        for i, m in enumerate(truth["mistakes"]):
            need(m.get("size") in SIZES, f"mistakes[{i}].size: expecting one of {list(SIZES)}, got {m.get('size')!r}")
            need(isinstance(m.get("amount"), (int, float)), f"mistakes[{i}].amount: expected a number")
            need(isinstance(m.get("unit"), str) and m["unit"], f"mistakes[{i}].unit: expected a unit")
    else:
        for i, m in enumerate(truth["mistakes"]):
            need(isinstance(m.get("size"), (int, float)), f"mistakes[{i}].size: expected a number")
    return errs
