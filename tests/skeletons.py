"""Hand-built skeletons for tests: a body in a posture, seen by a pinhole camera.

Body frame: u (up the trunk), l (the person's left), f (the way the face points), metres,
origin at the hip midpoint. ``frame_for`` turns a posture into a PoseFrame as MediaPipe
would give it: camera coordinates x right, y down, z forward; world landmarks = camera
coordinates minus the hip midpoint (MediaPipe's are hip-centred and camera-aligned);
image landmarks by a pinhole projection (640x480, focal 500 px).
"""

from __future__ import annotations

import math

import numpy as np

from coach.pose import Landmark as L
from coach.pose import PoseFrame

IMAGE_WH = (640, 480)
FOCAL_PX = 500.0


def _standing() -> dict[int, tuple[float, float, float]]:
    """(u, l, f) per landmark for a person standing, arms down."""
    p: dict[int, tuple[float, float, float]] = {}
    for side, s in (("LEFT", 1.0), ("RIGHT", -1.0)):
        p[L[f"{side}_HIP"]] = (0.0, 0.10 * s, 0.0)
        p[L[f"{side}_SHOULDER"]] = (0.50, 0.19 * s, 0.0)
        p[L[f"{side}_ELBOW"]] = (0.22, 0.22 * s, 0.0)
        p[L[f"{side}_WRIST"]] = (-0.02, 0.24 * s, 0.02)
        for name, off in (("PINKY", -0.08), ("INDEX", -0.09), ("THUMB", -0.06)):
            p[L[f"{side}_{name}"]] = (-0.02 + off, 0.24 * s, 0.04)
        p[L[f"{side}_KNEE"]] = (-0.45, 0.10 * s, 0.02)
        p[L[f"{side}_ANKLE"]] = (-0.88, 0.10 * s, 0.0)
        p[L[f"{side}_HEEL"]] = (-0.93, 0.10 * s, -0.05)
        p[L[f"{side}_FOOT_INDEX"]] = (-0.95, 0.10 * s, 0.15)
        p[L[f"{side}_EAR"]] = (0.65, 0.075 * s, -0.02)
        p[L[f"{side}_EYE"]] = (0.69, 0.035 * s, 0.08)
        p[L[f"{side}_EYE_INNER"]] = (0.69, 0.02 * s, 0.085)
        p[L[f"{side}_EYE_OUTER"]] = (0.69, 0.05 * s, 0.075)
    p[L.MOUTH_LEFT] = (0.60, 0.03, 0.08)
    p[L.MOUTH_RIGHT] = (0.60, -0.03, 0.08)
    p[L.NOSE] = (0.65, 0.0, 0.11)
    return p


def posture(name: str) -> dict[int, np.ndarray]:
    """Landmarks in the body frame (u, l, f) for: standing, seated, hanging, lying (on the
    back: u along the floor, f up), all_fours (u along the floor, f down)."""
    p = {k: np.array(v) for k, v in _standing().items()}
    if name == "seated":
        for side in ("LEFT", "RIGHT"):
            s = 1.0 if side == "LEFT" else -1.0
            p[L[f"{side}_KNEE"]] = np.array([0.0, 0.12 * s, 0.45])
            p[L[f"{side}_ANKLE"]] = np.array([-0.43, 0.12 * s, 0.45])
            p[L[f"{side}_HEEL"]] = np.array([-0.48, 0.12 * s, 0.40])
            p[L[f"{side}_FOOT_INDEX"]] = np.array([-0.48, 0.12 * s, 0.60])
            p[L[f"{side}_WRIST"]] = np.array([0.05, 0.15 * s, 0.35])
            p[L[f"{side}_ELBOW"]] = np.array([0.25, 0.20 * s, 0.15])
    if name == "hanging":
        for side in ("LEFT", "RIGHT"):
            s = 1.0 if side == "LEFT" else -1.0
            p[L[f"{side}_ELBOW"]] = np.array([0.80, 0.22 * s, 0.0])
            p[L[f"{side}_WRIST"]] = np.array([1.08, 0.23 * s, 0.0])
            for k in ("PINKY", "INDEX", "THUMB"):
                p[L[f"{side}_{k}"]] = np.array([1.15, 0.23 * s, 0.02])
    if name in ("lying", "all_fours"):
        if name == "all_fours":
            # knees under the hips, hands under the shoulders: limbs go along f (the face looks down)
            for side in ("LEFT", "RIGHT"):
                s = 1.0 if side == "LEFT" else -1.0
                p[L[f"{side}_KNEE"]] = np.array([0.0, 0.11 * s, 0.45])
                p[L[f"{side}_ANKLE"]] = np.array([-0.42, 0.11 * s, 0.47])
                p[L[f"{side}_HEEL"]] = np.array([-0.45, 0.11 * s, 0.40])
                p[L[f"{side}_FOOT_INDEX"]] = np.array([-0.55, 0.11 * s, 0.48])
                p[L[f"{side}_ELBOW"]] = np.array([0.52, 0.19 * s, 0.28])
                p[L[f"{side}_WRIST"]] = np.array([0.52, 0.19 * s, 0.55])
                for k in ("PINKY", "INDEX", "THUMB"):
                    p[L[f"{side}_{k}"]] = np.array([0.58, 0.19 * s, 0.57])
        if name == "lying":
            for side in ("LEFT", "RIGHT"):
                s = 1.0 if side == "LEFT" else -1.0
                # arms out in a T
                p[L[f"{side}_ELBOW"]] = np.array([0.50, 0.47 * s, 0.0])
                p[L[f"{side}_WRIST"]] = np.array([0.50, 0.73 * s, 0.0])
                for k in ("PINKY", "INDEX", "THUMB"):
                    p[L[f"{side}_{k}"]] = np.array([0.50, 0.80 * s, 0.0])
    return p


def _rot(axis: np.ndarray, deg: float) -> np.ndarray:
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    a = math.radians(deg)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(a) * k + (1 - math.cos(a)) * (k @ k)


def frame_for(name: str, view: str = "side", azimuth_deg: float = 0.0, pitch_deg: float = 0.0,
              distance_m: float = 3.0, timestamp_ms: float = 0.0, visibility: float = 0.95,
              mirrored_labels: bool = False) -> PoseFrame:
    """A PoseFrame of posture ``name`` seen from ``view`` ('side': the person's left faces the
    camera; 'front': the face (standing, seated, hanging) or the feet end (lying) faces it),
    turned by ``azimuth_deg`` about the vertical, from a camera pitched down ``pitch_deg``."""
    body = posture(name)
    down = np.array([0.0, 1.0, 0.0])   # camera y down (level camera)
    toward_cam = np.array([0.0, 0.0, -1.0])
    across = np.array([1.0, 0.0, 0.0])  # picture's right
    if name in ("lying", "all_fours"):
        f = -down if name == "lying" else down   # face to the ceiling / the floor
        u = across if view == "side" else -toward_cam   # head to the picture's right / away
    else:
        u = -down
        f = np.cross(-down, toward_cam) if view == "side" else toward_cam
    left = np.cross(u, f)  # a right-handed body: the left follows from up and front
    yaw = _rot(down, azimuth_deg)
    pitch = _rot(across, -pitch_deg)
    centre = np.array([0.0, 0.2, distance_m])
    lm = np.full((33, 5), np.nan)
    world = np.full((33, 3), np.nan)
    cam = {}
    for idx, (cu, cl, cf) in body.items():
        v = yaw @ (cu * u + cl * left + cf * f)
        cam[idx] = pitch @ v + centre
    hip = (cam[L.LEFT_HIP] + cam[L.RIGHT_HIP]) / 2
    w, h = IMAGE_WH
    for idx, p in cam.items():
        j = Landmark_swap(idx) if mirrored_labels else idx
        world[j] = p - hip
        lm[j, 0] = (FOCAL_PX * p[0] / p[2] + w / 2) / w
        lm[j, 1] = (FOCAL_PX * p[1] / p[2] + h / 2) / h
        lm[j, 2] = (p[2] - hip[2]) * FOCAL_PX / (hip[2] * w)
        lm[j, 3] = lm[j, 4] = visibility
    return PoseFrame(timestamp_ms=timestamp_ms, landmarks=lm, world=world, image_wh=IMAGE_WH)


def Landmark_swap(idx: int) -> int:  # noqa: N802 - reads as a landmark operation
    return int(L(idx).mirrored())
