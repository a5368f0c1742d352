"""Small numpy-only geometry helpers for the studio (rotations, cameras, projection).

Conventions: world is Z up, metres. A camera pose is a 4x4 camera-to-world matrix in
the OpenGL convention pyrender uses (camera looks down its -Z, +Y up in the image).
"""

from __future__ import annotations

import numpy as np

MIRROR_X = np.diag([-1.0, 1.0, 1.0])


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def rot(axis, deg: float) -> np.ndarray:
    """Rotation matrix of ``deg`` degrees about ``axis`` (Rodrigues)."""
    k = unit(axis)
    t = np.deg2rad(deg)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(t) * kx + (1 - np.cos(t)) * kx @ kx


def align(a, b) -> np.ndarray:
    """The smallest rotation taking direction ``a`` to direction ``b``."""
    a, b = unit(a), unit(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    s = float(np.linalg.norm(v))
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        p = unit(np.cross(a, [1, 0, 0] if abs(a[0]) < 0.9 else [0, 1, 0]))
        return rot(p, 180)
    return rot(v / s, np.degrees(np.arctan2(s, c)))


def look_at(eye, target, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Camera-to-world pose of a camera at ``eye`` looking at ``target``."""
    eye = np.asarray(eye, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    z = unit(eye - target)
    x = unit(np.cross(up, z))
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose


def intrinsics(image_wh: tuple[int, int], yfov_deg: float) -> np.ndarray:
    """3x3 pinhole matrix K (pixels, y down) for a pyrender PerspectiveCamera."""
    w, h = image_wh
    f = (h / 2) / np.tan(np.deg2rad(yfov_deg) / 2)
    return np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1.0]])


def world_to_camera_cv(cam_pose_gl: np.ndarray) -> np.ndarray:
    """4x4 world-to-camera extrinsics in the OpenCV convention (x right, y down, z forward)."""
    flip = np.diag([1.0, -1.0, -1.0, 1.0])
    return flip @ np.linalg.inv(cam_pose_gl)


def project(points_xyz: np.ndarray, cam_pose_gl: np.ndarray, k: np.ndarray) -> np.ndarray:
    """World points (..., 3) to pixels (..., 2), y down."""
    p = np.asarray(points_xyz, dtype=np.float64)
    ext = world_to_camera_cv(cam_pose_gl)
    pc = p @ ext[:3, :3].T + ext[:3, 3]
    uv = pc[..., :2] / pc[..., 2:3]
    return uv * np.array([k[0, 0], k[1, 1]]) + k[:2, 2]


def smoothstep(x):
    """0..1 ease-in-out (C1), applied to interpolation weights."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)
