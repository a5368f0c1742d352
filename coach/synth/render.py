"""render_clip: motion script -> posed anny body -> pyrender frames -> H.264 video + truth.

Every rendered frame passes a physical-plausibility check (``check_frame``): no vertex more
than 2 cm below the floor; lying and all-fours supports in contact with the floor; hands on
the bar for the hang (and, on good hangs, the feet clear of the floor). A frame that fails
raises ``PlausibilityError`` naming the clip, the frame and the problem. Before rendering, a
cheap pre-pass checks every ~2 s of the clip, so a bad clip fails in seconds.

Needs the ``synth`` extra (torch, anny, pyrender, imageio-ffmpeg); imported lazily.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import numpy as np

from coach.errors import CoachError
from coach.synth import truth as truth_mod
from coach.synth.exercises import EXERCISES, NECK, Style, combine, spread
from coach.synth.geometry import intrinsics, look_at, project, rot, world_to_camera_cv
from coach.synth.motion import breathing, mirror, sway
from coach.synth.variation import DIST_CAP_M, MODES, CameraPlan, SensorModel, Variation, make_variation

IMAGE_WH = (640, 480)
LYING_SUPPORTS = ("spine05", "spine03", "spine01", "neck02", "upperarm01.L", "upperarm01.R",
                  "upperleg01.L", "upperleg01.R")
GRIP_ABOVE_WRIST_M = 0.06
# a landmark counts as visible when the rendered surface at its pixel is no more than this much
# nearer to the camera than the landmark itself: surface points (face, feet) get a small margin,
# joint centres (inside the limb) a larger one
VIS_MARGIN_M = np.array([0.04] * 11 + [0.12] * 6 + [0.05] * 6 + [0.12] * 6 + [0.04] * 4)
FLOOR_TOL_M = 0.02       # no vertex more than this below the floor
CONTACT_TOL_M = 0.035    # a support "touches" when its lowest vertex is at most this above the floor
FEET_CLEAR_M = 0.015     # good hangs: the feet at least this high
GLANCE_MAX_DEG = 70.0
FRAME_MARGIN = (0.03, 0.04)  # fraction of the image kept free at the sides / top and bottom


class PlausibilityError(CoachError):
    """A rendered frame is physically impossible (body through the floor, hands off the bar...)."""


def _check_args(exercise_id, mistake, side, fps, variation):
    if exercise_id not in EXERCISES:
        raise CoachError(f"--exercise: unknown exercise {exercise_id!r}; expecting one of {sorted(EXERCISES)}")
    ex = EXERCISES[exercise_id]
    if mistake is not None and mistake not in ex.mistakes:
        raise CoachError(f"--mistake: {exercise_id} has no mistake {mistake!r}; expecting one of {list(ex.mistakes)}")
    allowed = ["both", *ex.sides] if ex.sides else ["both", "left", "right"]  # no sides: ignored
    if side not in allowed:
        raise CoachError(f"--side: expecting one of {allowed} for {exercise_id}, got {side!r}")
    if not (5 <= fps <= 30):
        raise CoachError(f"--fps: expecting 5..30, got {fps}")
    if isinstance(variation, str) and variation not in MODES:
        raise CoachError(f"--variation: expecting one of {list(MODES)}, got {variation!r}")
    return ex


# ----------------------------------------------------------------------------- posing
def _params_at(script, t, seed, dims):
    p, seg = script.at(t)
    p["t"] = t
    p["breath"] = float(breathing(t, 5.0))
    p["sway"] = float(sway(t, seed))
    p["sway2"] = float(sway(t, seed, 1))
    p["glance"] = script.glance_weight(t)
    p.update(dims)
    return p, seg


def _solve(ex, body, p, seg_side, cam_dir_world, prefer_phi):
    spec = ex.pose(p)
    if seg_side == "left":
        spec = mirror(spec)
    if spec.anchor == "all_fours":
        d, joints, r_world, phi = _solve_all_fours(body, spec, prefer_phi)
    else:
        d, joints = body.solve(spec.aims, spec.local)
        r_world, phi = spec.world_rot, 0.0
    if p.get("glance", 0.0) > 0.01 and cam_dir_world is not None:
        yaw = _glance_yaw(body, r_world, cam_dir_world) * p["glance"]
        spec.local = combine(spec.local, spread([0, 0, 1], yaw, NECK))
        if spec.anchor == "all_fours":
            d, joints, r_world, phi = _solve_all_fours(body, spec, phi)
        else:
            d, joints = body.solve(spec.aims, spec.local)
    return spec, d, joints, r_world, phi


def _glance_yaw(body, r_world, cam_dir_world) -> float:
    """Neck yaw (deg, about the neck's own axis) that turns the face towards the camera."""
    g = body.last_g
    parent = body.parents[body.idx("neck01")]
    gp = g[parent]
    c = gp.T @ (r_world.T @ np.asarray(cam_dir_world, float))
    f = gp.T @ (g[body.idx("head")] @ np.array([0.0, -1.0, 0.0]))
    yaw = np.degrees(np.arctan2(f[0] * c[1] - f[1] * c[0], f[0] * c[0] + f[1] * c[1]))
    return float(np.clip(yaw, -GLANCE_MAX_DEG, GLANCE_MAX_DEG))


def _body_dims(body) -> dict:
    """Per-body numbers the pose functions may use (keys start with '_', not in the truth)."""
    h = body.rest_heads
    sw = float(np.linalg.norm(h[body.idx("upperarm01.L")] - h[body.idx("upperarm01.R")]))
    arm = float(np.linalg.norm(h[body.idx("upperarm01.L")] - h[body.idx("lowerarm01.L")])
                + np.linalg.norm(h[body.idx("lowerarm01.L")] - h[body.idx("wrist.L")]))
    thigh = float(np.linalg.norm(h[body.idx("upperleg01.L")] - h[body.idx("lowerleg01.L")]))
    shin = float(np.linalg.norm(h[body.idx("lowerleg01.L")] - h[body.idx("foot.L")]))
    return {"_sw": sw, "_arm": arm, "_thigh": thigh, "_shin": shin, "_hip_L": h[body.idx("upperleg01.L")].tolist(), "_knee_adj": float(getattr(body, "knee_adj", 0.0)),
            "_arm_down": float(getattr(body, "arm_down", 0.15)),
            "_leg_down0": float(getattr(body, "leg_down0", 0.04)), "_leg_down_k": float(getattr(body, "leg_down_k", -0.0018))}


def _pose_frames(ex, script, body, fps, seed, cam_dir_world=None, frames=None):
    """Per frame: local rotations D, body-frame joints, world rotation, anchor info. With
    ``frames`` (a first pass) only the frames with a glance are solved again."""
    n = script.frame_count(fps)
    dims = _body_dims(body)
    out = []
    phi = 0.0
    for i in range(n):
        t = i / fps
        if frames is not None and script.glance_weight(t) <= 0.01:
            out.append(frames[i])
            continue
        p, seg = _params_at(script, t, seed, dims)
        if frames is not None:
            phi = frames[i].get("phi", 0.0)
        spec, d, joints, r_world, phi = _solve(ex, body, p, seg.side, cam_dir_world, phi)
        out.append(dict(i=i, t=t, p=p, seg=seg, spec=spec, d=d, joints=joints, R=r_world, phi=phi))
    return out


def _ref_frame(ex, script, body, seed, first_side):
    """The pose that calibrates placement (floor clearances, the bar height): the script's
    ``ref_params`` (default: its first pose)."""
    p = dict(script.ref_params or script.initial)
    p.update(t=0.0, breath=0.0, sway=0.0, sway2=0.0, glance=0.0, **_body_dims(body))
    spec, d, joints, r_world, _ = _solve(ex, body, p, first_side, None, 0.0)
    return dict(i=-1, t=0.0, p=p, seg=None, spec=spec, d=d, joints=joints, R=r_world)


def _solve_all_fours(body, spec, prefer_phi: float = 0.0):
    """Tilt the trunk (pitch about world X) until the palms and the knees both touch the floor:
    the wrists ``body.all_fours_offset`` above the knee joints (measured per body on the
    reference pose, see ``_calibrate_all_fours``), the limbs given in world directions
    (extras['world_aims']).

    The root nearest to ``prefer_phi`` (the previous frame's tilt) is bracketed by stepping
    outwards 4 deg at a time, then bisected. No root within +-80 deg: PlausibilityError."""
    wa = spec.extras.get("world_aims", {})
    iw = [body.idx("wrist.L"), body.idx("wrist.R")]
    ik = [body.idx("lowerleg01.L"), body.idx("lowerleg01.R")]

    def attempt(phi):
        r = rot([1, 0, 0], phi) @ spec.world_rot
        aims = dict(spec.aims)
        for b, w in wa.items():
            aims[b] = ("dir", r.T @ np.asarray(w, float), None)
        for b, (w, flex, pole) in spec.extras.get("world_bend", {}).items():
            aims[b] = ("bend", r.T @ np.asarray(w, float), flex, r.T @ np.asarray(pole, float), None)
        d, j = body.solve(aims, spec.local)
        jw = j @ r.T
        return jw[iw, 2].mean() - jw[ik, 2].mean() - getattr(body, "all_fours_offset", -0.025), d, j, r

    cache = {}

    def f(phi):
        if phi not in cache:
            cache[phi] = attempt(phi)[0]
        return cache[phi]
    step = 4.0
    bracket = None
    for k in range(1, 21):
        for a, b in ((prefer_phi + (k - 1) * step, prefer_phi + k * step),
                     (prefer_phi - k * step, prefer_phi - (k - 1) * step)):
            if abs(a) > 80 or abs(b) > 80:
                continue
            if (f(a) > 0) != (f(b) > 0) or f(a) == 0:
                bracket = (a, b)
                break
        if bracket:
            break
    if bracket is None:
        raise PlausibilityError("all fours: no trunk tilt within +-80 deg puts the hands on the floor "
                                f"(hands-knees height error {f(prefer_phi):+.2f} m at {prefer_phi:.0f} deg)")
    lo, hi = bracket
    flo = f(lo)
    for _ in range(8):  # 4 deg / 2**8: 0.016 deg
        mid = (lo + hi) / 2
        fm = attempt(mid)[0]
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    phi = (lo + hi) / 2
    _, d, j, r = attempt(phi)
    return d, j, r, phi


def _calibrate_all_fours(ex, script, body, seed, first_side) -> dict:
    """Per body: how far the palm surface lies below the wrist joint and the shin's lowest
    point below the knee joint, so the solver puts both on the floor. Returns the new ref."""
    body.all_fours_offset = -0.025
    for _ in range(2):
        ref = _ref_frame(ex, script, body, seed, first_side)
        v = body.skin(ref["d"])[0] @ ref["R"].T
        w = ref["joints"] @ ref["R"].T
        hand_drop = w[[body.idx("wrist.L"), body.idx("wrist.R")], 2].mean() - v[body.regions["hands"], 2].min()
        knee_drop = w[[body.idx("lowerleg01.L"), body.idx("lowerleg01.R")], 2].mean() - v[body.regions["shins"], 2].min()
        body.all_fours_offset = float(hand_drop - knee_drop)
    return _ref_frame(ex, script, body, seed, first_side)


def _place(frames, body, verts_ref, ref):
    """World translation per frame, from the anchor of each frame's PoseSpec (calibrated on
    the reference pose ``ref``)."""
    w0 = ref["joints"] @ ref["R"].T
    v0 = verts_ref @ ref["R"].T
    min_v0 = v0[:, 2].min()
    sup = [body.idx(b) for b in LYING_SUPPORTS]
    ikn = [body.idx("lowerleg01.L"), body.idx("lowerleg01.R")]
    iwr = [body.idx("wrist.L"), body.idx("wrist.R")]
    clear = w0[sup, 2] - min_v0
    knee_clear = w0[ikn, 2].mean() - v0[body.regions["shins"], 2].min()
    knee_xy0 = w0[ikn, :2].mean(0)
    bar = None
    if ref["spec"].anchor == "hang":
        bar = w0[iwr].mean(0) + [0, 0, -min_v0 + GRIP_ABOVE_WRIST_M]
    for f in frames:
        r = f["R"]
        w = f["joints"] @ r.T
        off = r @ f["spec"].offset_m
        a = f["spec"].anchor
        if a == "lying":
            t = np.array([0, 0, np.max(clear - w[sup, 2])])
        elif a == "all_fours":
            t = np.r_[knee_xy0 - w[ikn, :2].mean(0), knee_clear - w[ikn, 2].mean()]
        elif a == "hang":
            t = bar - [0, 0, GRIP_ABOVE_WRIST_M] - w[iwr].mean(0)
        else:  # seated, standing: fixed, feet on the floor in the reference pose
            t = np.array([0, 0, -min_v0])
        f["T"] = t + off
        f["world_joints"] = w + f["T"]
    return bar


def _chair_geometry(ex, ref, body, verts_ref):
    v = verts_ref @ ref["R"].T + ref["T"]
    hips = ref["world_joints"][[body.idx("upperleg01.L"), body.idx("upperleg01.R")]]
    seat_z = hips[:, 2].mean() - 0.09
    band = v[(v[:, 2] > seat_z + 0.05) & (v[:, 2] < seat_z + 0.45) & (np.abs(v[:, 0] - hips[:, 0].mean()) < 0.2)]
    back_y = band[:, 1].max() + 0.015
    sh_z = ref["world_joints"][[body.idx("upperarm01.L"), body.idx("upperarm01.R")], 2].mean()
    top = ex.extras.get("chair_back_top", "mid_scapula")
    back_top = sh_z - 0.12 if top == "mid_scapula" else seat_z + 0.5
    return dict(cx=float(hips[:, 0].mean()), back_y=float(back_y), seat_z=float(seat_z), back_top=float(back_top))


def _props(ex, frames, chair, var: Variation, bar):
    from coach.synth import scene
    props = []
    allj = np.concatenate([f["world_joints"] for f in frames[:: max(1, len(frames) // 50)]])
    if "mat" in ex.props:
        c = (allj[:, :2].min(0) + allj[:, :2].max(0)) / 2
        props.append(scene.mat_mesh(c, 1.85, 0.66, 0.0, var.look.mat_rgb))
    if chair is not None:
        props += scene.chair_meshes((chair["cx"], chair["back_y"] - 0.02), chair["seat_z"], chair["back_y"],
                                    chair["back_top"])
    if "bar" in ex.props and bar is not None:
        props += scene.bar_meshes(bar)
    return props


# ----------------------------------------------------------------------------- camera
def _must_see(frames, body, bar, chair) -> np.ndarray:
    """World points that must be in the picture: every joint of (up to 400) frames, the top of
    the head, the bar above the hands, the chair."""
    step = max(1, len(frames) // 400)
    ih, ineck = body.idx("head"), body.idx("neck01")
    pts = []
    for f in frames[::step]:
        w = f["world_joints"]
        pts.append(w)
        up = w[ih] - w[ineck]
        pts.append((w[ih] + 0.2 * up / max(np.linalg.norm(up), 1e-6))[None])
    if bar is not None:
        pts.append(np.array([[bar[0] + dx, bar[1], bar[2] + 0.02] for dx in (-0.45, 0.45)]))
    if chair is not None:
        cx, by, sz, bt = chair["cx"], chair["back_y"], chair["seat_z"], chair["back_top"]
        pts.append(np.array([[cx + dx, y, z] for dx in (-0.23, 0.23) for y, z in ((by - 0.44, sz), (by, bt), (by, 0.0))]))
    return np.concatenate(pts)


def _camera_from_plan(plan: CameraPlan, pts: np.ndarray, k: np.ndarray):
    """Camera-to-world pose for a laptop camera: at the plan's height and azimuth, pitched to
    look at the body, rolled; moved back from the wanted distance until every point fits
    (cap DIST_CAP_M). Returns (pose, horizontal distance, fits)."""
    lo, hi = pts.min(0), pts.max(0)
    tgt = (lo + hi) / 2
    base = np.array([plan.side_sign, 0.0, 0.0]) if plan.view == "side" else np.array([0.0, -1.0, 0.0])
    dh = rot([0, 0, 1], plan.azimuth_deg) @ base
    roll = np.eye(4)
    roll[:3, :3] = rot([0, 0, 1], plan.roll_deg)
    w, h = IMAGE_WH
    mx, my = FRAME_MARGIN[0] * w, FRAME_MARGIN[1] * h
    cam = None
    dist = plan.distance_m
    for dist in np.arange(plan.distance_m, DIST_CAP_M + 1e-6, 0.05):
        eye = tgt + dh * dist
        eye[2] = plan.height_m
        cam = look_at(eye, tgt) @ roll
        ext = world_to_camera_cv(cam)
        zc = pts @ ext[:3, 2] + ext[2, 3]
        if (zc <= 0.1).any():
            continue
        uv = project(pts, cam, k)
        if (uv[:, 0] >= mx).all() and (uv[:, 0] <= w - mx).all() and (uv[:, 1] >= my).all() and (uv[:, 1] <= h - my).all():
            return cam, float(dist), True
    return cam, float(dist), False


def _camera_dir(plan: CameraPlan | None, centre, cam=None) -> np.ndarray:
    if cam is not None:
        return (cam[:3, 3] - centre) / np.linalg.norm(cam[:3, 3] - centre)
    base = np.array([plan.side_sign, 0.0, 0.0]) if plan.view == "side" else np.array([0.0, -1.0, 0.0])
    dh = rot([0, 0, 1], plan.azimuth_deg) @ base
    v = np.r_[dh[:2] * 2.5, plan.height_m - centre[2]]
    return v / np.linalg.norm(v)


def settle(body, f, vb) -> np.ndarray:
    """World vertices of frame f. A lying body rests on its back, pelvis and buttocks: the
    lowest of those vertices is put on the floor (the joint-based placement of ``_place``
    is only a first guess there); f["T"] is updated."""
    v = vb @ f["R"].T + f["T"]
    if f["spec"].anchor == "lying":
        dz = -v[body.regions["lying_support"], 2].min()
        f["T"] = f["T"] + np.array([0.0, 0.0, dz])
        v[:, 2] += dz
    return v


def _calibrate_lying(ex, script, body, seed, first_side) -> None:
    """Supine exercises, per body, on the reference pose (back on the floor): how steeply the
    resting arms slope to the floor (``p['_arm_down']``) so the hands rest on it, and, with
    knees bent and feet flat (knee_to_chest, crossed_leg_rotation), the knee flexion
    correction (deg, ``p['_knee_adj']``) that puts the soles on the floor."""
    body.knee_adj, body.arm_down = 0.0, 0.15
    if ex.id not in ("lying_twist", "knee_to_chest", "crossed_leg_rotation"):
        return

    def gap(attr, value, region):
        setattr(body, attr, value)
        ref = _ref_frame(ex, script, body, seed, first_side)
        v = body.skin(ref["d"])[0] @ ref["R"].T
        return v[body.regions[region], 2].min() - v[body.regions["lying_support"], 2].min()

    def bisect(attr, lo, hi, region, target):  # gap decreases with the value
        if gap(attr, lo, region) < target or gap(attr, hi, region) > target:
            raise PlausibilityError(f"{ex.id}: cannot rest the {region} on the floor for this body "
                                    f"({attr} {lo}..{hi})")
        for _ in range(8):
            mid = (lo + hi) / 2
            if gap(attr, mid, region) > target:
                lo = mid
            else:
                hi = mid
        setattr(body, attr, (lo + hi) / 2)
    bisect("arm_down", -0.3, 0.5, "hands", 0.008)
    if ex.id != "lying_twist":
        bisect("knee_adj", -40.0, 40.0, "feet", 0.003)
        return
    # lying_twist: the straight leg's slope towards the floor, at no roll and at 30 deg of roll
    # (the crossing leg is in the air then), linear in between
    body.leg_down0, body.leg_down_k = 0.04, 0.0
    bisect("leg_down0", -0.15, 0.25, "legs", 0.006)
    d0 = body.leg_down0
    twist = dict(hip=95.0, knee=100.0, cross=90.0, roll=30.0, hand=1.0)
    saved = script.ref_params
    script.ref_params = {**script.initial, **twist}
    try:
        bisect("leg_down0", -0.15, 0.25, "legs", 0.006)
    finally:
        script.ref_params = saved
    body.leg_down_k = (body.leg_down0 - d0) / 30.0
    body.leg_down0 = d0


# ----------------------------------------------------------------------------- plausibility
def check_frame(body, f, verts_world, bar, mistake, clip_name: str = "clip") -> None:
    """Raise PlausibilityError when frame f (with world vertices) is physically impossible."""
    a = f["spec"].anchor
    z = verts_world[:, 2]
    problems = []
    if z.min() < -FLOOR_TOL_M:
        lowest = int(np.argmin(z))
        problems.append(f"{-z.min() * 100:.1f} cm of the body ({body.vertex_bone[lowest]}) below the floor")
    if a == "lying":
        sz = z[body.regions["lying_support"]].min()
        if sz > CONTACT_TOL_M:
            problems.append(f"lying but the back is {sz * 100:.1f} cm above the floor")
    elif a == "all_fours":
        hz = z[body.regions["hands"]].min()
        kz = z[body.regions["shins"]].min()
        if hz > CONTACT_TOL_M:
            problems.append(f"all fours but the hands are {hz * 100:.1f} cm above the floor")
        if kz > CONTACT_TOL_M:
            problems.append(f"all fours but the knees are {kz * 100:.1f} cm above the floor")
    elif a == "hang" and bar is not None:
        w = f["world_joints"]
        for sd in ("L", "R"):
            wr = w[body.idx(f"wrist.{sd}")]
            dz = wr[2] - (bar[2] - GRIP_ABOVE_WRIST_M)
            if abs(dz) > 0.03 or abs(wr[1] - bar[1]) > 0.06:
                problems.append(f"hand {sd} off the bar ({dz * 100:+.1f} cm)")
        if f["seg"] is not None and f["seg"].phase == "hold" and mistake != "feet_on_ground":
            fz = z[body.regions["feet"]].min()
            if fz < FEET_CLEAR_M:
                problems.append(f"hanging but the feet touch the floor ({fz * 100:.1f} cm)")
    elif a == "seated":
        fz = z[body.regions["feet"]].min()
        if fz > 0.06 and mistake != "feet_not_flat":
            problems.append(f"seated but the feet are {fz * 100:.1f} cm above the floor")
    if problems:
        raise PlausibilityError(f"{clip_name}: frame {f['i']} (t={f['t']:.1f} s, "
                                f"{f['seg'].phase if f['seg'] else 'reference'}): " + "; ".join(problems))


def precheck(body, frames, bar, mistake, clip_name: str, every_s: float = 2.0, fps: float = 10.0) -> int:
    """Skin and check a frame every ``every_s`` seconds (and the last one). Returns frames checked."""
    step = max(1, int(round(every_s * fps)))
    idx = sorted(set(range(0, len(frames), step)) | {len(frames) - 1})
    for i in idx:
        f = frames[i]
        vb, _ = body.skin(f["d"])
        check_frame(body, f, settle(body, f, vb), bar, mistake, clip_name)
    return len(idx)


# ----------------------------------------------------------------------------- the clip
def prepare_clip(exercise_id: str, mistake: str | None = None, side: str = "both", seed: int = 0, fps: float = 10.0,
                 variation: str | Variation = "full", style: Style | None = None, size: str = "obvious",
                 sides: list | None = None):
    """Everything up to the first rendered frame (no OpenGL): script, body, posed frames,
    placement, props geometry, camera. Returns a dict."""
    ex = _check_args(exercise_id, mistake, side, fps, variation)
    from coach.synth.body import Body
    var = variation if isinstance(variation, Variation) else make_variation(seed, variation)
    if sides is None:
        sides = ex.plan_sides(side, mistake, style.side_first if style else None)
    script = ex.script(sides, mistake, style, size).pad_to_frames(fps)
    body = Body(var.phenotype, var.appearance, var.body.height_m if var.body is not None else None)
    plan = var.camera_plan
    from coach.synth import scene
    k = intrinsics(IMAGE_WH, scene.YFOV_DEG)
    _calibrate_lying(ex, script, body, seed, sides[0])
    ref = _ref_frame(ex, script, body, seed, sides[0])
    if ref["spec"].anchor == "all_fours":
        ref = _calibrate_all_fours(ex, script, body, seed, sides[0])
    # first pass: placement + camera without glances; the glance direction needs the camera
    frames = _pose_frames(ex, script, body, fps, seed, None)
    verts_ref, _ = body.skin(ref["d"])
    bar = _place(frames + [ref], body, verts_ref, ref)
    chair = _chair_geometry(ex, ref, body, verts_ref) if "chair" in ex.props else None
    allj = np.concatenate([f["world_joints"] for f in frames])
    centre = (allj.min(0) + allj.max(0)) / 2
    fit = None
    if plan is not None:
        cam, dist, fits = _camera_from_plan(plan, _must_see(frames, body, bar, chair), k)
        fit = dict(distance_m=round(dist, 2), fits=fits)
    else:
        cj = var.camera
        cam = scene.camera_pose(ex.camera, centre, 0.0, cj.az_deg, cj.dist_scale, cj.height_offset_m, cj.side_sign)
    if script.glances:
        cdir = _camera_dir(plan, centre, cam)
        frames = _pose_frames(ex, script, body, fps, seed, cdir, frames)
        _place(frames + [ref], body, verts_ref, ref)
    return dict(ex=ex, var=var, sides=sides, script=script, body=body, frames=frames, ref=ref, bar=bar,
                chair=chair, cam=cam, k=k, centre=centre, fit=fit, plan=plan, verts_ref=verts_ref)


def render_clip(exercise_id: str, mistake: str | None = None, side: str = "both", seed: int = 0,
                out_path: str | Path | None = None, fps: float = 10.0, variation: str | Variation = "full",
                crf: int = 28, progress: Callable[[int, int], None] | None = None,
                preview_s: list[float] | None = None, style: Style | None = None, size: str = "obvious",
                clip_info: dict | None = None, sides: list | None = None, part_suffix: str = ".part") -> Path:
    """Render one clip and its truth file; returns the video path.

    The truth file lands next to the video as ``<stem>.truth.json.gz``. Both are written to
    ``.part`` files first and renamed when complete (truth last). With preview_s, only the
    frames at those times are rendered, into a PNG contact sheet at out_path (with the true
    2D landmarks drawn), and no truth is written. clip_info: corpus fields for the truth
    (id, split, kind, size, style, body, room, expected...).
    """
    out = Path(out_path or f"{exercise_id}_{mistake or 'good'}_{side}_s{seed}.mp4")
    if out.suffix != ".mp4":
        raise CoachError(f"--out: expecting a .mp4 path, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        import imageio_ffmpeg
        from coach.synth import scene
    except ImportError as exc:
        raise CoachError(f"the renderer needs {exc.name}: install the synth extra: pip install -e .[synth]") from exc
    import pyrender

    c = prepare_clip(exercise_id, mistake, side, seed, fps, variation, style, size, sides)
    ex, var, script, body, frames, bar, cam, k = (c[x] for x in ("ex", "var", "script", "body", "frames", "bar", "cam", "k"))
    name = (clip_info or {}).get("id") or out.stem
    n_checked = precheck(body, frames, bar, mistake, name, 2.0, fps)
    plan: CameraPlan | None = c["plan"]
    mirrored = bool(plan.mirrored) if plan is not None else False
    rng = np.random.default_rng(var.look.room_seed)
    sc = scene.build_room(cam, c["centre"], var.look, _props(ex, frames, c["chair"], var, bar), rng)
    renderer = pyrender.OffscreenRenderer(*IMAGE_WH)
    sensor = SensorModel(var.sensor, np.random.default_rng(seed + 1), (IMAGE_WH[1], IMAGE_WH[0]))
    mesher = scene.BodyMesher(body.faces, body.colors, len(c["verts_ref"]))

    if preview_s is not None:
        return _preview(frames, preview_s, fps, body, sc, renderer, cam, k, out, sensor, mesher, mirrored, bar,
                        mistake, name)
    n = len(frames)
    xy = np.zeros((n, 33, 2))
    xyz = np.zeros((n, 33, 3))
    vis = np.zeros((n, 33), bool)
    w2c = world_to_camera_cv(cam)
    part = out.with_name(f".{out.name}{part_suffix}")  # renamed when video and truth are complete
    writer = imageio_ffmpeg.write_frames(
        str(part), IMAGE_WH, fps=fps, codec="libx264", quality=None, macro_block_size=16,
        output_params=["-crf", str(crf), "-preset", "medium", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                       "-f", "mp4"],
        ffmpeg_log_level="error")
    writer.send(None)
    t_start = time.time()
    tpart = truth_mod.truth_path(out).with_name("." + truth_mod.truth_path(out).name + part_suffix)
    try:
        return _render_frames_and_truth(c, frames, body, bar, mistake, name, sc, renderer, mesher, sensor, writer, w2c,
                                        xy, xyz, vis, mirrored, progress, t_start, n_checked, part, tpart, out,
                                        exercise_id, seed, fps, clip_info)
    except BaseException:
        writer.close()
        part.unlink(missing_ok=True)
        tpart.unlink(missing_ok=True)
        raise
    finally:
        renderer.delete()


def _posed(body, f) -> tuple[np.ndarray, np.ndarray]:
    """Frame f's body: (world vertices, world landmarks); settles f on the floor (``settle``)."""
    vb, hb = body.skin(f["d"])
    v = settle(body, f, vb)
    return v, body.landmarks(vb, hb) @ f["R"].T + f["T"]


def _inside(xy: np.ndarray) -> np.ndarray:
    """Which projected landmarks (pixel coordinates, NaN behind the camera) fall inside the picture."""
    u = np.round(np.nan_to_num(xy, nan=-1.0)).astype(int)
    return np.isfinite(xy).all(1) & (u[:, 0] >= 0) & (u[:, 0] < IMAGE_WH[0]) & (u[:, 1] >= 0) & (u[:, 1] < IMAGE_WH[1])


def _render_frames_and_truth(c, frames, body, bar, mistake, name, sc, renderer, mesher, sensor, writer, w2c, xy, xyz,
                             vis, mirrored, progress, t_start, n_checked, part, tpart, out, exercise_id, seed, fps,
                             clip_info) -> Path:
    cam, k = c["cam"], c["k"]
    n = len(frames)
    if True:
        for i, f in enumerate(frames):
            v, lm = _posed(body, f)
            check_frame(body, f, v, bar, mistake, name)
            node = sc.add(mesher(v))
            color, depth = renderer.render(sc)
            sc.remove_node(node)
            xyz[i] = lm
            xy[i] = project(lm, cam, k)
            zc = lm @ w2c[:3, :3].T + w2c[:3, 3]
            u = np.round(np.nan_to_num(xy[i], nan=-1.0)).astype(int)
            inside = _inside(xy[i])
            uu = np.where(inside[:, None], u, 0)
            dbuf = depth[uu[:, 1], uu[:, 0]]
            vis[i] = inside & ((dbuf == 0) | (dbuf > zc[:, 2] - VIS_MARGIN_M))
            img = color[:, ::-1] if mirrored else color
            writer.send(sensor(np.ascontiguousarray(img)))
            if progress:
                progress(i + 1, n)
    writer.close()
    elapsed = time.time() - t_start
    notes = [f"rendered in {elapsed:.0f} s ({elapsed / max(n, 1):.3f} s/frame)",
             f"plausibility: every frame checked ({n_checked} in the pre-pass)"]
    tr = _build_truth(c, frames, body, xy, xyz, vis, mirrored, mistake, out, exercise_id, seed, fps, clip_info, notes,
                      generator_suffix="")
    problems = truth_mod.validate(tr)
    if problems:
        raise CoachError("internal: the truth file would be invalid: " + "; ".join(problems[:5]))
    truth_mod.write(tr, tpart)
    os.replace(part, out)
    os.replace(tpart, truth_mod.truth_path(out))
    return out


def _build_truth(c, frames, body, xy, xyz, vis, mirrored, mistake, out, exercise_id, seed, fps, clip_info, notes,
                 generator_suffix: str) -> dict:
    """The truth of a posed clip (its joints per frame, the script's phases and events)."""
    ex, var, script, cam, k, plan = c["ex"], c["var"], c["script"], c["cam"], c["k"], c["plan"]
    w2c = world_to_camera_cv(cam)
    k_img, w2c_img = k, w2c
    if mirrored:  # the picture is flipped: x -> W-1-x; K and world_to_camera describe the flipped image
        xy[..., 0] = IMAGE_WH[0] - 1 - xy[..., 0]
        w2c_img = np.diag([-1.0, 1.0, 1.0, 1.0]) @ w2c
        k_img = k.copy()
        k_img[0, 2] = IMAGE_WH[0] - 1 - k[0, 2]
    keys = [k_ for k_ in frames[0]["p"] if k_ != "t" and not k_.startswith("_")]
    script_values = {k_: np.array([f["p"][k_] for f in frames]) for k_ in keys}
    import coach
    from coach.synth import scene as _scene
    view = plan.view if plan is not None else _scene.CAMERAS[ex.camera]["view"]
    side_sign = plan.side_sign if plan is not None else var.camera.side_sign
    cam_info = dict(kind="laptop" if plan is not None else ex.camera, view=view, yfov_deg=_scene.YFOV_DEG,
                    K=np.round(k_img, 3).tolist(), world_to_camera=np.round(w2c_img, 5).tolist(),
                    cam_to_world_gl=np.round(cam, 5).tolist(), position_m=np.round(cam[:3, 3], 3).tolist(),
                    person_side_facing_camera=("left" if side_sign > 0 else "right") if view == "side" else "front",
                    mirrored=mirrored, world="metres, Z up, floor at z=0")
    if plan is not None:
        cam_info.update(plan=plan.summary(), distance_m=c["fit"]["distance_m"], fits=c["fit"]["fits"])
    notes = list(script.notes) + list(notes)
    info = dict(clip_info or {})
    info.setdefault("body", {})
    info["body"] = {**info["body"], "height_m": round(body.height_m, 3),
                    "phenotype": {k_: round(float(v_), 4) for k_, v_ in body.phen.items()}}
    info["glances"] = [dict(start_ms=round(a * 1000), end_ms=round(b * 1000)) for a, b in script.glances]
    tr = truth_mod.build(
        exercise=exercise_id, mistake=mistake, sides=[s for s in c["sides"] if s], seed=seed,
        variation=var.to_json(), fps=fps, image_wh=IMAGE_WH, camera=cam_info, xy_px=xy, xyz_m=xyz, visible=vis,
        script_values=script_values, phases=script.phases(), mistakes=script.mistakes, events=script.events,
        notes=notes, video_name=out.name, generator=f"coach.synth {coach.__version__}{generator_suffix}",
        visible_margin_m=[float(x) for x in VIS_MARGIN_M], clip_extra=info,
        expected=dict(camera_supported=bool(plan.supported) if plan is not None else True))
    return tr


def truth_only_clip(exercise_id: str, mistake: str | None, seed: int, out_path: str | Path, fps: float,
                    variation: str | Variation, style: Style | None = None, size: str = "obvious",
                    clip_info: dict | None = None, sides: list | None = None, part_suffix: str = ".part") -> Path:
    """The truth file of a clip without rendering it (no OpenGL, no video): the same posed
    body, camera and script as :func:`render_clip` with the same arguments, in ~1/20 of the
    time, for scoring the rules on the true joints (``coach eval --true-poses``) while the
    videos render. A landmark counts as visible when it is inside the picture (there is no
    depth buffer to test occlusion); the truth says ``truth_only``. Returns the truth path."""
    out = Path(out_path)
    c = prepare_clip(exercise_id, mistake, "both", seed, fps, variation, style, size, sides)
    frames, body, cam, k = c["frames"], c["body"], c["cam"], c["k"]
    n = len(frames)
    xy = np.zeros((n, 33, 2))
    xyz = np.zeros((n, 33, 3))
    vis = np.zeros((n, 33), bool)
    for i, f in enumerate(frames):
        _, lm = _posed(body, f)
        xyz[i] = lm
        xy[i] = project(lm, cam, k)
        vis[i] = _inside(xy[i])
    plan: CameraPlan | None = c["plan"]
    mirrored = bool(plan.mirrored) if plan is not None else False
    info = dict(clip_info or {}, truth_only=True)
    tr = _build_truth(c, frames, body, xy, xyz, vis, mirrored, mistake, out, exercise_id, seed, fps, info,
                      ["truth only: no video rendered; visible = inside the picture (no occlusion test)"],
                      generator_suffix=" (truth only)")
    problems = truth_mod.validate(tr)
    if problems:
        raise CoachError("internal: the truth file would be invalid: " + "; ".join(problems[:5]))
    final = truth_mod.truth_path(out)
    part = final.with_name("." + final.name + part_suffix)
    final.parent.mkdir(parents=True, exist_ok=True)
    truth_mod.write(tr, part)
    os.replace(part, final)
    return final


def _preview(frames, times, fps, body, sc, renderer, cam, k, out, sensor, mesher, mirrored, bar, mistake, name) -> Path:
    from PIL import Image, ImageDraw
    tiles = []
    try:
        for t in times:
            f = frames[min(len(frames) - 1, int(round(t * fps)))]
            vb, hb = body.skin(f["d"])
            v = settle(body, f, vb)
            check_frame(body, f, v, bar, mistake, name)
            node = sc.add(mesher(v))
            color, _ = renderer.render(sc)
            sc.remove_node(node)
            if mirrored:
                color = np.ascontiguousarray(color[:, ::-1])
            img = Image.fromarray(sensor(color))
            dr = ImageDraw.Draw(img)
            lm = project(body.landmarks(vb, hb) @ f["R"].T + f["T"], cam, k)
            if mirrored:
                lm[:, 0] = IMAGE_WH[0] - 1 - lm[:, 0]
            for j, (x, y) in enumerate(lm):
                if np.isfinite(x):
                    c = (255, 0, 0) if j % 2 else (0, 120, 255)
                    dr.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(0, 255, 0) if j < 11 else c)
            dr.text((5, 5), f"t={f['t']:.1f}s {f['seg'].phase} {f['seg'].side}{' MIRRORED' if mirrored else ''}",
                    fill=(255, 255, 0))
            tiles.append(img)
    finally:
        renderer.delete()
    cols = 3
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (IMAGE_WH[0] * cols, IMAGE_WH[1] * rows))
    for i, im in enumerate(tiles):
        sheet.paste(im, ((i % cols) * IMAGE_WH[0], (i // cols) * IMAGE_WH[1]))
    out = out.with_suffix(".png")
    sheet.save(out)
    return out
