"""A small kinematic body model that makes plausible PoseFrames for the seven exercises.

Each exercise has a pose function ``pose(params, side) -> {landmark key: xyz}`` in the
body's own frame (x = the person's right, y = toward the head, z = out of the chest), a
placement of that frame in the room (metres, Y up) and a camera (orthographic, pitched,
like the spec's camera view). ``clip(...)`` interpolates pose parameters between key
frames over time and renders frames with a little pixel noise, so tests exercise the real
measures on realistic image geometry. This module has no tests of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.pose import N_LANDMARKS, Landmark, PoseFrame

W, H = 640, 480
SH, HP, TORSO, UA, FA, TH, SHN = 0.19, 0.12, 0.50, 0.29, 0.26, 0.44, 0.42


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def rot(axis, deg: float) -> np.ndarray:
    """Rotation matrix about ``axis`` by ``deg`` (right-hand rule)."""
    k = unit(axis)
    a = math.radians(deg)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(a) * K + (1 - math.cos(a)) * K @ K


def head(pts: dict, base, up, face, right) -> None:
    """Nose, eyes, ears, mouth around a head centre 0.17 above ``base`` (shoulder midpoint)."""
    up, face, right = unit(up), unit(face), unit(right)
    hc = np.asarray(base) + 0.17 * up
    pts["nose"] = hc + 0.10 * face
    for s, side in ((1, "right"), (-1, "left")):
        pts[f"{side}_ear"] = hc + s * 0.075 * right - 0.02 * face
        for k, d in (("eye_inner", 0.02), ("eye", 0.035), ("eye_outer", 0.05)):
            pts[f"{side}_{k}"] = hc + 0.08 * face + 0.03 * up + s * d * right
        pts[f"mouth_{side}"] = hc + 0.085 * face - 0.045 * up + s * 0.025 * right


def limb(pts: dict, side: str, root_key: str, mid_key: str, end_key: str, d1, l1, d2, l2) -> None:
    root = pts[f"{side}_{root_key}"]
    pts[f"{side}_{mid_key}"] = root + l1 * unit(d1)
    pts[f"{side}_{end_key}"] = pts[f"{side}_{mid_key}"] + l2 * unit(d2)


def hands_and_feet(pts: dict, front) -> None:
    """Fingers a little past the wrist along the forearm; heel behind / toes in front of the ankle."""
    for side in ("left", "right"):
        fa = unit(pts[f"{side}_wrist"] - pts[f"{side}_elbow"])
        w = pts[f"{side}_wrist"]
        pts[f"{side}_pinky"] = w + 0.07 * fa
        pts[f"{side}_index"] = w + 0.08 * fa
        pts[f"{side}_thumb"] = w + 0.05 * fa
        shin = unit(pts[f"{side}_ankle"] - pts[f"{side}_knee"])
        foot = pts.get(f"_{side}_foot_dir")
        if foot is None:
            foot = unit(np.asarray(front) - np.dot(front, shin) * shin)
        a = pts[f"{side}_ankle"]
        pts[f"{side}_heel"] = a - 0.05 * unit(foot) + 0.04 * shin
        pts[f"{side}_foot_index"] = a + 0.15 * unit(foot) + 0.03 * shin


@dataclass
class Placement:
    """Maps the body frame (x right, y head, z front) into the room (Y up)."""

    origin: tuple
    right: tuple
    headward: tuple
    front: tuple

    def __call__(self, p) -> np.ndarray:
        x, y, z = p
        return (np.asarray(self.origin, float) + x * np.asarray(self.right, float)
                + y * np.asarray(self.headward, float) + z * np.asarray(self.front, float))


@dataclass
class Camera:
    """Orthographic camera: looks along (yaw, pitch) at ``target``; ``scale`` pixels per metre."""

    yaw_deg: float
    pitch_deg: float
    target: tuple
    scale: float = 260.0

    def axes(self):
        yaw, pitch = math.radians(self.yaw_deg), math.radians(self.pitch_deg)
        f = np.array([math.sin(yaw) * math.cos(pitch), -math.sin(pitch), math.cos(yaw) * math.cos(pitch)])
        r = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])
        d = np.cross(r, f)
        return r, d, f


def render(room_pts: dict, cam: Camera, t_ms: float, rng: np.random.Generator | None = None,
           noise_px: float = 0.8, hidden: tuple[str, ...] = ()) -> PoseFrame:
    r, d, f = cam.axes()
    tgt = np.asarray(cam.target, float)
    lm = np.zeros((N_LANDMARKS, 5))
    world = np.zeros((N_LANDMARKS, 3))
    hip_mid = 0.5 * (room_pts["left_hip"] + room_pts["right_hip"])
    for L in Landmark:
        p = room_pts[L.key]
        q = p - tgt
        x, y, z = float(q @ r), float(q @ d), float(q @ f)
        px = W / 2 + cam.scale * x
        py = H / 2 + cam.scale * y
        if rng is not None and noise_px > 0:
            px += rng.normal(0, noise_px)
            py += rng.normal(0, noise_px)
        hq = p - hip_mid
        lm[L] = (px / W, py / H, cam.scale * (z - float((hip_mid - tgt) @ f)) / W, 0.99, 0.99)
        world[L] = (float(hq @ r), float(hq @ d), float(hq @ f))
    for key in hidden:
        lm[Landmark[key.upper()], 3] = 0.05
    return PoseFrame(timestamp_ms=t_ms, landmarks=lm, world=world, image_wh=(W, H))


# ----------------------------------------------------------------------------- exercises
# Each pose function takes params (dict of floats) and the side being exercised.

def _m(side: str | None) -> float:
    return -1.0 if side == "left" else 1.0


def _sides(m: float) -> tuple[str, str]:
    return ("right", "left") if m > 0 else ("left", "right")


def pose_supine_base(pts: dict, lift_moving: float, m: float) -> None:
    mv, ot = _sides(m)
    pts[f"{mv}_hip"] = np.array([m * HP, 0.0, 0.0])
    pts[f"{ot}_hip"] = np.array([-m * HP, 0.0, 0.0])
    pts[f"{mv}_shoulder"] = np.array([m * SH, TORSO, lift_moving])
    pts[f"{ot}_shoulder"] = np.array([-m * SH, TORSO, 0.0])


def lying_twist(p: dict, side: str | None) -> dict:
    """params: knee (0 straight .. 1 bent to chest), across_deg (knee over to the other side),
    lift (moving shoulder off the floor, m), arm_deg (moving arm abduction, 90 = T),
    hand (0 other arm in T .. 1 hand on the knee), head_deg (turn toward the moving side)."""
    m = _m(side)
    mv, ot = _sides(m)
    pts: dict = {}
    pose_supine_base(pts, p.get("lift", 0.0), m)
    pts[f"{mv}_hip"] = pts[f"{mv}_hip"] + np.array([0, 0, 0.05 * p.get("across_deg", 0) / 90])
    # moving arm
    a = math.radians(p.get("arm_deg", 90))
    arm_dir = np.array([m * math.sin(a), -math.cos(a), 0.0])
    limb(pts, mv, "shoulder", "elbow", "wrist", arm_dir, UA, arm_dir, FA)
    # moving leg: flex toward the chest, then rotate across about the long axis
    k = p.get("knee", 0.0)
    thigh = unit((1 - k) * np.array([0, -1.0, 0]) + k * np.array([0, 0.25, 1.0]))
    shin = unit((1 - k) * np.array([0, -1.0, 0]) + k * np.array([0, -1.0, -0.15]))
    R = rot([0, 1, 0], -m * p.get("across_deg", 0.0))   # +z (up) turns toward the other side
    limb(pts, mv, "hip", "knee", "ankle", R @ thigh, TH, R @ shin, SHN)
    limb(pts, ot, "hip", "knee", "ankle", [0, -1, 0], TH, [0, -1, 0], SHN)
    # other arm: T, or hand on the outside of the moving knee
    t_wrist = pts[f"{ot}_shoulder"] + (UA + FA) * np.array([-m, 0, 0])
    k_wrist = pts[f"{mv}_knee"] + np.array([-m * 0.06, 0.0, 0.04])
    h = p.get("hand", 0.0)
    wrist = (1 - h) * t_wrist + h * k_wrist
    sh = pts[f"{ot}_shoulder"]
    mid = 0.5 * (sh + wrist) + np.array([0, 0, 0.05 * h])
    pts[f"{ot}_elbow"] = mid
    pts[f"{ot}_wrist"] = wrist
    hd = math.radians(p.get("head_deg", 0.0))
    face = np.array([m * math.sin(hd), 0.0, math.cos(hd)])
    head(pts, 0.5 * (pts["left_shoulder"] + pts["right_shoulder"]) + np.array([0, 0, -0.02]), [0, 1, 0], face, [1, 0, 0])
    hands_and_feet(pts, [0, 0, 1.0])
    return pts


def chair_extension(p: dict, side: str | None) -> dict:
    """Seated: recline_deg (trunk back from vertical), slide (hips forward on the seat, m),
    hands (1 behind the head, 0 on the thighs), knee_deg (knee angle, 90 = feet flat)."""
    pts: dict = {}
    rec = math.radians(p.get("recline_deg", 0.0))
    up = np.array([0.0, math.cos(rec), -math.sin(rec)])     # trunk leans back (-z)
    hip_c = np.array([0.0, 0.0, p.get("slide", 0.0)])
    for s, side_ in ((1, "right"), (-1, "left")):
        pts[f"{side_}_hip"] = hip_c + np.array([s * HP, 0, 0])
        pts[f"{side_}_shoulder"] = hip_c + TORSO * up + np.array([s * SH, 0, 0])
        # thighs forward (+z), shins down by knee angle
        pts[f"{side_}_knee"] = pts[f"{side_}_hip"] + TH * np.array([0, 0, 1.0])
        kd = math.radians(p.get("knee_deg", 90.0))
        shin = np.array([0.0, -math.sin(kd), -math.cos(kd)])
        pts[f"{side_}_ankle"] = pts[f"{side_}_knee"] + SHN * shin
        pts[f"_{side_}_foot_dir"] = unit(np.array([0, -0.3 * math.cos(kd), 1.0]))
    shoulder_mid = hip_c + TORSO * up
    back = -unit(np.cross([1, 0, 0], up))  # behind the head
    hc = shoulder_mid + 0.17 * up
    h = p.get("hands", 1.0)
    for s, side_ in ((1, "right"), (-1, "left")):
        behind = hc + 0.07 * back * -1 + s * 0.06 * np.array([1, 0, 0]) - 0.0 * up
        behind = hc - 0.09 * np.array([0, -math.sin(rec), -math.cos(rec)]) * -1 + s * 0.06 * np.array([1, 0, 0])
        thigh = pts[f"{side_}_knee"] * 0.5 + pts[f"{side_}_hip"] * 0.5 + np.array([0, 0.05, 0])
        wrist = h * behind + (1 - h) * thigh
        sh = pts[f"{side_}_shoulder"]
        elbow_out = sh + np.array([s * 0.25, 0.12, 0]) * h + (1 - h) * (0.5 * (sh + wrist) - sh + np.array([s * 0.05, 0, 0.05]))
        pts[f"{side_}_elbow"] = elbow_out
        pts[f"{side_}_wrist"] = wrist
    face = unit(np.cross(up, [1, 0, 0])) * -1   # +z rotated with the trunk
    face = np.array([0.0, math.sin(rec), math.cos(rec)])
    head(pts, shoulder_mid, up, face, [1, 0, 0])
    hands_and_feet(pts, [0, 0, 1.0])
    return pts


def cat_cow(p: dict, side: str | None) -> dict:
    """All fours (body frame: y toward the head along the floor, z = belly side ... see placement).
    params: flex (+1 cat: back rounded, head down; -1 cow: back sunk, head up),
    neck_deg (extra head lift), wrist_fwd (wrists ahead of the shoulders, m),
    knee_back (knees behind the hips, m), elbow_deg (elbow bend), hip_shift (m, along the body)."""
    pts: dict = {}
    fl = p.get("flex", 0.0)
    # body frame here: x right, y headward (horizontal), z = UP toward the ceiling (back side)
    hip_h, sh_h = 0.55, 0.60
    shift = p.get("hip_shift", 0.0)
    for s, side_ in ((1, "right"), (-1, "left")):
        pts[f"{side_}_hip"] = np.array([s * HP, shift, hip_h])
        pts[f"{side_}_shoulder"] = np.array([s * SH, TORSO + shift * 0.3, sh_h])
        pts[f"{side_}_knee"] = np.array([s * HP, -p.get("knee_back", 0.0) + shift * 0.0, 0.10])
        pts[f"{side_}_ankle"] = pts[f"{side_}_knee"] + np.array([0, -SHN, 0.0])
        pts[f"_{side_}_foot_dir"] = np.array([0, -1.0, 0.05])
        eb = math.radians(p.get("elbow_deg", 0.0))
        wrist = np.array([s * SH, TORSO + p.get("wrist_fwd", 0.0), 0.05])
        sh = pts[f"{side_}_shoulder"]
        mid = 0.5 * (sh + wrist)
        bend_out = 0.5 * np.linalg.norm(wrist - sh) * math.tan(eb / 2)
        pts[f"{side_}_elbow"] = mid + np.array([0, -bend_out, 0])
        pts[f"{side_}_wrist"] = wrist
    # head: neutral = in line with the trunk, slightly down; cat tucks the chin, cow lifts
    lift = math.radians(-40 * fl + p.get("neck_deg", 0.0))
    fwd = np.array([0, math.cos(lift), math.sin(lift)])
    sm = 0.5 * (pts["left_shoulder"] + pts["right_shoulder"])
    hc = sm + 0.17 * fwd + np.array([0, 0, -0.04])
    face = unit(np.array([0, 0, -1.0]) * math.cos(lift) + np.array([0, 1.0, 0]) * math.sin(lift) * 1.0)
    face = unit(np.cross([1, 0, 0], fwd)) * -1
    pts["nose"] = hc + 0.10 * face
    head(pts, hc - 0.17 * fwd, fwd, face, [1, 0, 0])
    # spinal flexion shifts the mid back only: no landmark; the nose carries the signal
    hands_and_feet(pts, [0, 0, -1.0])
    return pts


def knee_to_chest(p: dict, side: str | None) -> dict:
    """Supine, knees bent. params: moving (0..1 moving knee to the chest), both (0..1 both knees),
    hands (0..1 hands on the knee), other_lift (m: other foot off the floor),
    head_lift (m), roll_deg (knees rocked toward the person's left)."""
    m = _m(side)
    pts: dict = {}
    hl = p.get("head_lift", 0.0)
    R = rot([0, 1, 0], p.get("roll_deg", 0.0))
    for s, side_ in ((1, "right"), (-1, "left")):
        pts[f"{side_}_hip"] = R @ np.array([s * HP, 0.0, 0.0])   # rocking rolls the pelvis with the knees
        pts[f"{side_}_shoulder"] = np.array([s * SH, TORSO, 0.0])

    def bent_leg(side_: str, k: float, lift: float) -> None:
        # k = 0: knee bent ~100 deg, foot flat on the floor; k = 1: knee at the chest
        thigh = unit((1 - k) * np.array([0, -0.55, 0.8]) + k * np.array([0, 0.75, 0.65]))
        shin = unit((1 - k) * np.array([0, -0.75, -0.62]) + k * np.array([0, -0.45, 0.2]))
        hip = pts[f"{side_}_hip"]
        knee = hip + TH * (R @ thigh)
        ankle = knee + SHN * (R @ shin) + np.array([0, 0, lift])
        pts[f"{side_}_knee"] = knee
        pts[f"{side_}_ankle"] = ankle

    mv, ot = _sides(m)
    b = p.get("both", 0.0)
    bent_leg(mv, max(p.get("moving", 0.0), b), 0.0)
    bent_leg(ot, b, p.get("other_lift", 0.0))
    h = p.get("hands", 0.0)
    target = pts[f"{mv}_knee"] if b < 0.5 else 0.5 * (pts["left_knee"] + pts["right_knee"])
    for s, side_ in ((1, "right"), (-1, "left")):
        sh = pts[f"{side_}_shoulder"]
        rest = sh + np.array([s * 0.1, -(UA + FA) * 0.9, 0])
        on_knee = target + np.array([s * 0.05, 0.02, 0.0])
        wrist = (1 - h) * rest + h * on_knee
        pts[f"{side_}_wrist"] = wrist
        pts[f"{side_}_elbow"] = 0.5 * (sh + wrist) + np.array([s * 0.08, 0, 0.03 * h])
    up = unit(np.array([0, 1.0, 0]) * 1 + np.array([0, 0, hl * 3]))
    face = unit(np.cross([1, 0, 0], up) * -1)
    sm = 0.5 * (pts["left_shoulder"] + pts["right_shoulder"])
    head(pts, sm + np.array([0, 0, hl]), up, unit(np.array([0, -hl * 2, 1.0])), [1, 0, 0])
    hands_and_feet(pts, [0, 0, 1.0])
    return pts


def seated_rotation(p: dict, side: str | None) -> dict:
    """Seated cross-legged facing the camera. ``side`` = the direction of the turn.
    params: turn_deg (upper body toward ``side``), hip_turn_deg, lean_deg (sideways),
    slump (0..1 head/shoulders forward and down), shrug (m), hands (1 = hand on the knee)."""
    pts: dict = {}
    m = _m(side)  # +1 right, -1 left
    hip_yaw = rot([0, 1, 0], m * p.get("hip_turn_deg", 0.0))   # +about y turns the front toward the right
    for s, side_ in ((1, "right"), (-1, "left")):
        pts[f"{side_}_hip"] = hip_yaw @ np.array([s * HP, 0.0, 0.0])
        pts[f"{side_}_knee"] = np.array([s * 0.38, -0.05, 0.25])
        pts[f"{side_}_ankle"] = np.array([-s * 0.08, -0.08, 0.30])
        pts[f"_{side_}_foot_dir"] = np.array([-s * 1.0, 0, 0.2])
    lean = rot([0, 0, 1], -p.get("lean_deg", 0.0))
    slump = p.get("slump", 0.0)
    # turning toward the person's right (m=+1): the front turns toward +x, about +y by +angle
    yaw = rot([0, 1, 0], m * p.get("turn_deg", 0.0))
    # a slump bends the (turned) upper body forward, toward where it faces
    up = unit(lean @ yaw @ np.array([0, 1.0, 0.5 * slump]))
    sm = (TORSO - 0.08 * slump) * up
    tip = rot([0, 0, 1], -p.get("tip_deg", 0.0))   # shoulder line tipped (right shoulder down for +)
    for s, side_ in ((1, "right"), (-1, "left")):
        off = lean @ tip @ yaw @ np.array([s * SH, p.get("shrug", 0.0), 0.0])
        pts[f"{side_}_shoulder"] = sm + off
    face = yaw @ unit(np.array([0, -0.9 * slump, 1.0]))
    head(pts, sm + yaw @ np.array([0, -0.05 * slump, 0.06 * slump]), up, face, yaw @ np.array([1.0, 0, 0]))
    mv, ot = _sides(m)
    h = p.get("hands", 1.0)
    # the other hand on the moving-side knee; the moving hand behind the body
    sh = pts[f"{ot}_shoulder"]
    rest = pts[f"{ot}_knee"] + np.array([0, 0.05, 0])
    wrist = h * (pts[f"{mv}_knee"] + np.array([0, 0.05, 0.02])) + (1 - h) * rest
    pts[f"{ot}_wrist"] = wrist
    pts[f"{ot}_elbow"] = 0.5 * (sh + wrist) + np.array([0, 0, 0.08])
    shm = pts[f"{mv}_shoulder"]
    pts[f"{mv}_wrist"] = pts[f"{mv}_hip"] + np.array([m * 0.1, 0.0, -0.25])
    pts[f"{mv}_elbow"] = 0.5 * (shm + pts[f"{mv}_wrist"]) + np.array([m * 0.05, 0, -0.05])
    hands_and_feet(pts, [0, 0, 1.0])
    return pts


def passive_hang(p: dict, side: str | None) -> dict:
    """Hanging from a bar, facing the camera. params: grip (wrist half-distance / shoulder half
    width), elbow_deg (bend), hang (0 feet flat on the floor .. 1 feet hanging, toes down),
    sway (m, hips sideways), twist_deg (shoulders turned against the hands)."""
    pts: dict = {}
    sway = p.get("sway", 0.0)
    tw = rot([0, 1, 0], p.get("twist_deg", 0.0))
    for s, side_ in ((1, "right"), (-1, "left")):
        pts[f"{side_}_shoulder"] = tw @ np.array([s * SH, 0.0, 0.0])
        pts[f"{side_}_hip"] = tw @ np.array([s * HP, -TORSO, 0.0]) + np.array([sway, 0, 0])
        pts[f"{side_}_knee"] = pts[f"{side_}_hip"] + np.array([sway * 0.5, -TH, 0.0])
        pts[f"{side_}_ankle"] = pts[f"{side_}_knee"] + np.array([sway * 0.4, -SHN, 0.0])
        hang = p.get("hang", 1.0)
        pts[f"_{side_}_foot_dir"] = unit(np.array([0, -0.9 * hang, 1.0 - 0.6 * hang]))
        eb = math.radians(p.get("elbow_deg", 0.0))
        wrist = np.array([s * SH * p.get("grip", 1.25), (UA + FA) * math.cos(eb / 2) * 0.98, 0.0])
        sh = pts[f"{side_}_shoulder"]
        mid = 0.5 * (sh + wrist)
        out = 0.5 * (UA + FA) * math.sin(eb / 2)
        pts[f"{side_}_elbow"] = mid + np.array([s * out, 0, 0.0])
        pts[f"{side_}_wrist"] = wrist
    # the bar holds the wrists: shift everything so they stay put is not needed (orthographic)
    head(pts, 0.5 * (pts["left_shoulder"] + pts["right_shoulder"]) + np.array([0, -0.02, 0]), [0, 1, 0],
         tw @ np.array([0, 0, 1.0]), tw @ np.array([1.0, 0, 0]))
    hands_and_feet(pts, [0, 0, 1.0])
    for side_ in ("left", "right"):   # hands above the wrist
        w = pts[f"{side_}_wrist"]
        for k in ("pinky", "index", "thumb"):
            pts[f"{side_}_{k}"] = w + np.array([0, 0.07, 0.02])
    return pts


def crossed_leg_rotation(p: dict, side: str | None) -> dict:
    """Supine, knees bent, the ``side`` leg crossed over the other; knees lowered toward the
    other side. params: cross (0..1), lower_deg (both knees toward the other side),
    apart_deg (top knee stays up while the bottom one lowers), lift (moving shoulder, m)."""
    m = _m(side)
    mv, ot = _sides(m)
    pts: dict = {}
    pose_supine_base(pts, p.get("lift", 0.0), m)
    for s, side_ in ((1, "right"), (-1, "left")):
        sh = pts[f"{side_}_shoulder"]
        d = np.array([s * 0.5, -0.85, 0])
        limb(pts, side_, "shoulder", "elbow", "wrist", d, UA, d, FA)
    c = p.get("cross", 0.0)
    low = p.get("lower_deg", 0.0)
    for side_, extra in ((ot, 0.0), (mv, -p.get("apart_deg", 0.0))):
        R = rot([0, 1, 0], -m * (low + extra))
        thigh = unit(np.array([0, -0.55, 0.8]))
        shin = unit(np.array([0, -0.75, -0.62]))
        if side_ == mv:
            # crossing: the top thigh angles over to the other side, its shin hangs past the other shin
            thigh = unit(thigh + c * np.array([-m * 0.35, 0, 0.1]))
            shin = unit(shin + c * np.array([-m * 0.2, 0, 0]))
        hip = pts[f"{side_}_hip"]
        knee = hip + TH * (R @ thigh)
        pts[f"{side_}_knee"] = knee
        pts[f"{side_}_ankle"] = knee + SHN * (R @ shin)
    head(pts, 0.5 * (pts["left_shoulder"] + pts["right_shoulder"]), [0, 1, 0], [0, 0, 1.0], [1, 0, 0])
    hands_and_feet(pts, [0, 0, 1.0])
    return pts


# ----------------------------------------------------------------------------- scenes

SUPINE_HEAD_NORTH = Placement((0, 0.1, 0), (-1, 0, 0), (0, 0, 1), (0, 1, 0))
SUPINE_HEAD_EAST = Placement((0, 0.1, 0), (0, 0, 1), (1, 0, 0), (0, 1, 0))     # left side nearest the camera
SUPINE_HEAD_WEST = Placement((0, 0.1, 0), (0, 0, -1), (-1, 0, 0), (0, 1, 0))   # right side nearest the camera
SEATED_FACING_EAST = Placement((0, 0.5, 0), (0, 0, -1), (0, 1, 0), (1, 0, 0))
ALL_FOURS_FACING_EAST = Placement((0, 0, 0), (0, 0, -1), (1, 0, 0), (0, 1, 0))   # body z = up
SEATED_FACING_CAMERA = Placement((0, 0.1, 0), (-1, 0, 0), (0, 1, 0), (0, 0, -1))
HANGING_FACING_CAMERA = Placement((0, 1.6, 0), (-1, 0, 0), (0, 1, 0), (0, 0, -1))

# camera south of the scene looking north (yaw 0); pitch = looking down
SCENES = {
    "lying_twist": (lying_twist, SUPINE_HEAD_EAST, Camera(0, 8, (0.1, 0.2, 0), 300)),
    "chair_extension": (chair_extension, SEATED_FACING_EAST, Camera(0, 5, (0.2, 0.7, 0), 330)),
    "cat_cow": (cat_cow, ALL_FOURS_FACING_EAST, Camera(0, 5, (0.25, 0.4, 0), 330)),
    "knee_to_chest": (knee_to_chest, SUPINE_HEAD_WEST, Camera(0, 10, (-0.2, 0.3, 0), 300)),
    "seated_rotation": (seated_rotation, SEATED_FACING_CAMERA, Camera(0, 5, (0, 0.45, 0), 330)),
    "passive_hang": (passive_hang, HANGING_FACING_CAMERA, Camera(0, 0, (0, 1.0, 0), 170)),
    "crossed_leg_rotation": (crossed_leg_rotation, SUPINE_HEAD_EAST, Camera(0, 8, (0.1, 0.2, 0), 300)),
}


# the value a pose parameter has when a key frame leaves it out (as in the pose functions)
DEFAULTS: dict[str, dict[str, float]] = {
    "lying_twist": {"knee": 0.0, "across_deg": 0.0, "lift": 0.0, "arm_deg": 90.0, "hand": 0.0, "head_deg": 0.0},
    "chair_extension": {"recline_deg": 0.0, "slide": 0.0, "hands": 1.0, "knee_deg": 90.0},
    "cat_cow": {"flex": 0.0, "neck_deg": 0.0, "wrist_fwd": 0.0, "knee_back": 0.0, "elbow_deg": 0.0, "hip_shift": 0.0},
    "knee_to_chest": {"moving": 0.0, "both": 0.0, "hands": 0.0, "other_lift": 0.0, "head_lift": 0.0, "roll_deg": 0.0},
    "seated_rotation": {"turn_deg": 0.0, "hip_turn_deg": 0.0, "lean_deg": 0.0, "slump": 0.0, "shrug": 0.0, "hands": 1.0,
                        "tip_deg": 0.0},
    "passive_hang": {"grip": 1.25, "elbow_deg": 0.0, "hang": 1.0, "sway": 0.0, "twist_deg": 0.0},
    "crossed_leg_rotation": {"cross": 0.0, "lower_deg": 0.0, "apart_deg": 0.0, "lift": 0.0},
}


def pose_frame(exercise: str, params: dict, side: str | None, t_ms: float,
               rng: np.random.Generator | None = None, hidden: tuple[str, ...] = ()) -> PoseFrame:
    fn, place, cam = SCENES[exercise]
    local = fn(params, side)
    room = {k: place(v) for k, v in local.items() if not k.startswith("_")}
    return render(room, cam, t_ms, rng, hidden=hidden)


def clip(exercise: str, keys: list[tuple[float, dict, str | None]], fps: float = 30.0, seed: int = 0,
         start_ms: float = 0.0, hidden_between: tuple[float, float, tuple[str, ...]] | None = None) -> list[PoseFrame]:
    """Frames from key frames ``(t_s, params, side)``; params are interpolated linearly
    (a missing key means its default, DEFAULTS); the side is the earlier key's."""
    d = DEFAULTS[exercise]
    rng = np.random.default_rng(seed)
    frames = []
    t_end = keys[-1][0]
    n = int(round(t_end * fps)) + 1
    j = 0
    for i in range(n):
        t = i / fps
        while j + 1 < len(keys) - 1 and keys[j + 1][0] <= t:
            j += 1
        (t0, p0, s0), (t1, p1, _s1) = keys[j], keys[min(j + 1, len(keys) - 1)]
        a = 0.0 if t1 <= t0 else min(max((t - t0) / (t1 - t0), 0.0), 1.0)
        names = set(p0) | set(p1) | set(d)
        params = {k: (1 - a) * p0.get(k, d.get(k, 0.0)) + a * p1.get(k, d.get(k, 0.0)) for k in names}
        hidden = ()
        if hidden_between and hidden_between[0] <= t < hidden_between[1]:
            hidden = hidden_between[2]
        frames.append(pose_frame(exercise, params, s0, start_ms + t * 1000.0, rng, hidden))
    return frames
