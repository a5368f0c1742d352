"""The room, the props, the camera placement and the lights (pyrender, OSMesa offscreen).

Importing this module sets PYOPENGL_PLATFORM=osmesa (unless set) and patches pyrender's
shader cache: under OSMesa every call returns a new GL context id, which defeats the cache
and recompiles every shader every frame (0.27 s/frame); one renderer per process means one
context, so the cache key is pinned to it (~0.1 s/frame).
"""

from __future__ import annotations

import os
import types

import numpy as np

from coach.synth.geometry import look_at, rot, unit

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

try:
    import pyrender
    import pyrender.shader_program as _shader_program
    import trimesh
except ImportError as exc:  # pragma: no cover - depends on the environment
    from coach.errors import CoachError
    raise CoachError(f"the renderer needs pyrender ({exc.name} is missing): "
                     "install the synth extra: pip install -e .[synth]") from exc

# one GL context per process: pin the shader cache key (see module docstring)
_shader_program.OpenGL = types.SimpleNamespace(contextdata=types.SimpleNamespace(getContext=lambda: 1))

YFOV_DEG = 48.0  # ~61 deg horizontal at 4:3: a typical laptop webcam

# camera kinds: distance from the body centre (m), camera height (m), target height (m or None =
# body centre), side-on or front-on. Side-on cameras sit on the person's left (+X) by default.
CAMERAS = {
    "side_floor": dict(view="side", dist=2.45, height=0.55, target_z=0.22),
    "side_hip": dict(view="side", dist=2.7, height=0.65, target_z=None),
    "side_seat": dict(view="side", dist=2.6, height=0.55, target_z=None),
    "front_chest": dict(view="front", dist=2.4, height=1.0, target_z=None),
    "front_bar": dict(view="front", dist=3.4, height=1.25, target_z=None),
}


def camera_pose(kind: str, centre: np.ndarray, body_yaw_deg: float, az_deg: float = 0.0,
                dist_scale: float = 1.0, height_offset_m: float = 0.0, side_sign: float = 1.0) -> np.ndarray:
    """Camera-to-world pose for a camera kind looking at ``centre``.

    body_yaw_deg: the world direction the person's left (+X body) points, for side views, or
    the facing direction, for front views, as a yaw about Z (deg). side_sign -1 puts a side
    camera on the person's right. az_deg turns the camera about the vertical through the target.
    """
    c = CAMERAS[kind]
    tgt = np.array([centre[0], centre[1], centre[2] if c["target_z"] is None else c["target_z"]])
    if c["view"] == "side":
        d = rot([0, 0, 1], body_yaw_deg) @ np.array([side_sign, 0.0, 0.0])
    else:
        d = rot([0, 0, 1], body_yaw_deg) @ np.array([0.0, -1.0, 0.0])
    d = rot([0, 0, 1], az_deg) @ d
    eye = tgt + d * c["dist"] * dist_scale
    eye[2] = c["height"] + height_offset_m
    return look_at(eye, tgt)


# ----------------------------------------------------------------------------- meshes
def _material(rgb, rough=0.85, metal=0.0):
    return pyrender.MetallicRoughnessMaterial(baseColorFactor=np.r_[np.asarray(rgb, float) / 255, 1.0],
                                              metallicFactor=metal, roughnessFactor=rough, doubleSided=True)


def plank_texture(rng: np.random.Generator, base_rgb, n: int = 512) -> np.ndarray:
    img = np.zeros((n, n, 3))
    base = np.asarray(base_rgb, float)
    k8 = n // 8
    for k in range(8):
        rows = slice(k * k8, (k + 1) * k8)
        img[rows] = base * rng.uniform(0.8, 1.1)
        img[rows] += rng.normal(0, 6, (k8, 1, 1)) + 8 * np.sin(np.linspace(0, rng.uniform(20, 60), n))[None, :, None]
        img[k * k8] = base * 0.5
    return img.clip(0, 255).astype(np.uint8)


def quad(corners, rgb=None, tex=None, reps: float = 1.0):
    from PIL import Image
    v = np.asarray(corners, float)
    f = np.array([[0, 1, 2], [0, 2, 3]])
    if tex is not None:
        uv = np.array([[0, 0], [reps, 0], [reps, reps], [0, reps]])
        mat = trimesh.visual.material.SimpleMaterial(image=Image.fromarray(tex))
        tm = trimesh.Trimesh(v, f, visual=trimesh.visual.TextureVisuals(uv=uv, material=mat), process=False)
        mesh = pyrender.Mesh.from_trimesh(tm, smooth=False)
        for prim in mesh.primitives:
            prim.material.baseColorTexture.sampler.wrapS = 10497  # GL_REPEAT
            prim.material.baseColorTexture.sampler.wrapT = 10497
        return mesh
    return pyrender.Mesh.from_trimesh(trimesh.Trimesh(v, f, process=False), material=_material(rgb), smooth=False)


def box(lo, hi, rgb, transform=None):
    b = trimesh.creation.box(bounds=[lo, hi])
    if transform is not None:
        b.apply_transform(transform)
    return pyrender.Mesh.from_trimesh(b, material=_material(rgb, 0.8), smooth=False)


def cylinder(p0, p1, radius, rgb, metal=0.6):
    c = trimesh.creation.cylinder(radius=radius, segment=[p0, p1])
    return pyrender.Mesh.from_trimesh(c, material=_material(rgb, 0.4, metal), smooth=True)


class BodyMesher:
    """Builds the body's pyrender mesh each frame: smooth vertex normals through a
    precomputed face->vertex incidence matrix (cheaper than trimesh's per-frame path)."""

    def __init__(self, faces: np.ndarray, colors: np.ndarray, n_vertices: int):
        from scipy.sparse import csr_matrix
        self.faces = np.ascontiguousarray(faces, dtype=np.uint32)
        rows = self.faces.ravel().astype(np.int64)
        cols = np.repeat(np.arange(len(faces)), 3)
        self.incidence = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_vertices, len(faces)))
        c = np.asarray(colors, dtype=np.float32)[:, :3] / 255.0
        self.colors = np.ascontiguousarray(np.c_[c, np.ones(len(c), np.float32)])
        self.material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0],
                                                           metallicFactor=0.2, roughnessFactor=0.8)

    def __call__(self, verts: np.ndarray):
        v = np.asarray(verts, dtype=np.float64)
        f = self.faces
        fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])  # area-weighted
        vn = self.incidence @ fn
        vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)
        prim = pyrender.Primitive(positions=v.astype(np.float32), normals=vn.astype(np.float32),
                                  color_0=self.colors, indices=f, material=self.material, mode=4)
        return pyrender.Mesh([prim])


def body_mesh(verts: np.ndarray, faces: np.ndarray, colors: np.ndarray):
    tm = trimesh.Trimesh(verts, faces, vertex_colors=colors, process=False)
    return pyrender.Mesh.from_trimesh(tm, smooth=True)


# ----------------------------------------------------------------------------- room
def build_room(cam: np.ndarray, centre: np.ndarray, look, props: list, rng: np.random.Generator):
    """Static scene: floor, wall behind the person (as seen from the camera) with a skirting
    board and a picture, a side wall, the props, lights. Returns the pyrender.Scene."""
    sc = pyrender.Scene(bg_color=[0.8, 0.8, 0.8, 1.0], ambient_light=np.full(3, 0.35 * look.light))
    sc.add(quad([[-9, -9, 0], [9, -9, 0], [9, 9, 0], [-9, 9, 0]], tex=plank_texture(rng, look.floor_rgb), reps=7))
    away = unit(np.r_[centre[:2] - cam[:2, 3], 0.0])
    side = np.cross([0, 0, 1], away)
    wall_c = np.r_[centre[:2], 0.0] + away * look.wall_dist_m
    up = np.array([0, 0, 1.0])
    w = 7.0
    sc.add(quad([wall_c - w * side, wall_c + w * side, wall_c + w * side + 3 * up, wall_c - w * side + 3 * up], look.wall_rgb))
    sk = wall_c - 0.012 * away
    sc.add(quad([sk - w * side, sk + w * side, sk + w * side + 0.1 * up, sk - w * side + 0.1 * up], (245, 245, 240)))
    # a picture (frame + canvas) and a second, smaller one
    for off, size, col in ((look.picture_offset_m, (0.6, 0.42), look.picture_rgb), (look.picture_offset_m - 1.6, (0.3, 0.4), (150, 90, 60))):
        pc = wall_c - 0.015 * away + side * off + up * 1.45
        hw, hh = size[0] / 2, size[1] / 2
        sc.add(quad([pc - hw * side - hh * up, pc + hw * side - hh * up, pc + hw * side + hh * up, pc - hw * side + hh * up], (60, 45, 35)))
        pc2 = pc - 0.005 * away
        hw, hh = hw - 0.03, hh - 0.03
        sc.add(quad([pc2 - hw * side - hh * up, pc2 + hw * side - hh * up, pc2 + hw * side + hh * up, pc2 - hw * side + hh * up], col))
    # a side wall at the far left of the view, for depth
    sw = wall_c + side * look.side_wall_m
    sc.add(quad([sw, sw - away * 6, sw - away * 6 + 3 * up, sw + 3 * up], np.asarray(look.wall_rgb) * 0.92))
    for m in props:
        sc.add(m)
    cam_node = pyrender.PerspectiveCamera(yfov=np.deg2rad(YFOV_DEG), aspectRatio=4 / 3)
    sc.add(cam_node, pose=cam)
    key = rot([0, 0, 1], look.key_az_deg) @ (cam[:3, 3] - centre)
    key_pose = look_at(centre + key + [0, 0, 1.0], centre)
    sc.add(pyrender.DirectionalLight(color=np.ones(3), intensity=2.5 * look.light), pose=key_pose)
    sc.add(pyrender.DirectionalLight(color=np.asarray(look.fill_rgb) / 255, intensity=1.8 * look.light),
           pose=look_at([centre[0] + 1, centre[1] - 1, 4], centre))
    return sc


def mat_mesh(centre_xy, length_m: float, width_m: float, yaw_deg: float, rgb):
    t = np.eye(4)
    t[:3, :3] = rot([0, 0, 1], yaw_deg)
    t[:3, 3] = [centre_xy[0], centre_xy[1], 0.0]
    return box([-width_m / 2, -length_m / 2, 0.0], [width_m / 2, length_m / 2, 0.008], rgb, t)


def chair_meshes(seat_centre, seat_z: float, back_y: float, back_top_z: float, rgb=(110, 70, 40)):
    """A straight chair without wheels facing -Y: seat, back rest behind (+Y), four legs."""
    cx, cy = seat_centre
    dark = np.asarray(rgb) * 0.7
    front = cy - 0.42
    out = [box([cx - 0.23, front, seat_z - 0.04], [cx + 0.23, back_y, seat_z], rgb),
           box([cx - 0.23, back_y, seat_z], [cx + 0.23, back_y + 0.03, back_top_z], rgb)]
    for sx in (cx - 0.22, cx + 0.19):
        for sy in (front + 0.01, back_y):
            out.append(box([sx, sy, 0], [sx + 0.03, sy + 0.03, seat_z - 0.04], dark))
    return out


def bar_meshes(p_mid, half_len: float = 0.9, radius: float = 0.018):
    x, y, z = p_mid
    out = [cylinder([x - half_len, y, z], [x + half_len, y, z], radius, (150, 150, 160))]
    for sx in (x - half_len, x + half_len):
        out.append(box([sx - 0.05, y - 0.05, 0], [sx + 0.05, y + 0.05, z + 0.1], (235, 235, 230)))
    out.append(box([x - half_len - 0.05, y - 0.05, z + 0.1], [x + half_len + 0.05, y + 0.05, z + 0.2], (235, 235, 230)))
    return out
