"""The anny body: shape, per-vertex colours, posing by segment aims, and the true landmarks.

anny's body frame: +X is the person's left, the body faces -Y, +Z is up, the root sits at
the pelvis, the zero pose is an A-pose. Pose parameters are per-bone rotations in
world-aligned axes that compose down the chain: G_child = G_parent @ D_child. Joint heads
therefore follow p_child = p_parent + G_parent @ (rest_child - rest_parent), which this
module evaluates in numpy (cheap) so motion scripts can aim limbs at points (a hand on a
knee, wrists on a bar) before the one skinning call per frame.

Needs torch + anny (the ``synth`` extra); imported lazily by ``coach.synth.render``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.synth.geometry import align, unit

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")  # pelvis -> chest
NECK = ("neck01", "neck02", "neck03", "head")
# the bone whose head ends each limb segment
SEG_END = {"upperarm01": "lowerarm01", "lowerarm01": "wrist", "upperleg01": "lowerleg01",
           "lowerleg01": "foot", "wrist": "finger3-1", "foot": "toe3-1", "clavicle": "upperarm01",
           "neck01": "head", "head": None}

# BlazePose index -> anny bone whose head is that landmark
BONE_LANDMARKS = {
    11: "upperarm01.L", 12: "upperarm01.R", 13: "lowerarm01.L", 14: "lowerarm01.R",
    15: "wrist.L", 16: "wrist.R", 17: "finger5-1.L", 18: "finger5-1.R",
    19: "finger2-1.L", 20: "finger2-1.R", 21: "finger1-2.L", 22: "finger1-2.R",
    23: "upperleg01.L", 24: "upperleg01.R", 25: "lowerleg01.L", 26: "lowerleg01.R",
    27: "foot.L", 28: "foot.R", 2: "eye.L", 5: "eye.R",
}
# BlazePose index -> rest-pose vertex rule (see Body._landmark_vertices)
VERTEX_LANDMARKS = (0, 7, 8, 9, 10, 29, 30, 31, 32)


@dataclass(frozen=True)
class Appearance:
    """Colours (RGB 0..255) and clothing of one rendered person."""

    skin: tuple[int, int, int] = (224, 172, 140)
    shirt: tuple[int, int, int] = (40, 90, 170)
    trousers: tuple[int, int, int] = (45, 45, 55)
    shoes: tuple[int, int, int] = (235, 235, 235)
    hair: tuple[int, int, int] = (55, 35, 20)
    long_sleeves: bool = False
    barefoot: bool = False


def _require():
    try:
        import torch  # noqa: F401
        import anny  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from coach.errors import CoachError
        raise CoachError(f"the renderer needs torch and anny ({exc.name} is missing): "
                         "install the synth extra: pip install -e .[synth]") from exc


_MODEL = None


def _model():
    global _MODEL
    _require()
    if _MODEL is None:
        import anny
        _MODEL = anny.Anny()
        _cache_rest_model(_MODEL)
    return _MODEL


def _cache_rest_model(model) -> None:
    """anny recomputes the rest model (a Procrustes fit per bone: ~0.2 s) on every call,
    though it depends only on the phenotype, which is fixed for a clip: keep the last one.
    The same numbers, computed once per body instead of once per frame (skinning went from
    ~0.25 to ~0.05 s a frame)."""
    import torch
    original = model.get_rest_model
    cache: dict[bytes, dict] = {}

    def get_rest_model(blendshape_coeffs):
        key = blendshape_coeffs.detach().cpu().numpy().tobytes()
        if key not in cache:
            cache.clear()
            with torch.no_grad():
                cache[key] = original(blendshape_coeffs)
        return dict(cache[key])  # forward() adds keys to the dict it gets

    model.get_rest_model = get_rest_model


class Body:
    """One person: anny model + phenotype + appearance."""

    def __init__(self, phenotype: dict[str, float] | None = None, appearance: Appearance = Appearance(),
                 height_m: float | None = None):
        """height_m: solve anny's ``height`` phenotype so the rest mesh is that tall (stature,
        floor to crown, measured on the mesh); ``self.height_m`` is the measured stature."""
        import torch
        self.torch = torch
        self.m = _model()
        self.phen = dict(phenotype or {})
        self.labels: list[str] = list(self.m.bone_labels)
        self.index = {n: i for i, n in enumerate(self.labels)}
        self.parents = np.asarray(self.m.bone_parents)
        if height_m is not None:
            self.phen["height"] = self._solve_height(height_m)
        with torch.no_grad():
            out = self.m(phenotype_kwargs=self.phen or None)
        self.rest_heads = out["bone_poses"][0, :, :3, 3].numpy().copy()
        self.rest_vertices = out["vertices"][0].numpy().copy()
        self.faces = self.m.faces.numpy()
        self.appearance = appearance
        self.height_m = float(np.ptp(self.rest_vertices[:, 2]))
        self.vertex_landmarks = self._landmark_vertices(self.rest_vertices)
        self.colors = self._colors(self.rest_vertices, appearance)
        base = self._dominant_bone()
        bi = self.m.vertex_bone_indices.numpy()
        bw = self.m.vertex_bone_weights.numpy()
        self.vertex_bone = np.array(self.labels)[bi[np.arange(len(bi)), bw.argmax(1)]]  # for messages
        self.regions = {  # vertex index sets for the plausibility checks
            "hands": np.where(np.char.startswith(base, "wrist") | np.char.startswith(base, "finger")
                              | np.char.startswith(base, "metacarpal"))[0],
            "feet": np.where(np.char.startswith(base, "foot") | np.char.startswith(base, "toe"))[0],
            "shins": np.where(np.char.startswith(base, "lowerleg"))[0],
            "torso": np.where(np.isin(base, list(SPINE) + ["clavicle", "shoulder01"]))[0],
            "legs": np.where(np.char.startswith(base, "lowerleg") | np.char.startswith(base, "foot")
                             | np.char.startswith(base, "toe"))[0],
            # what a supine body rests on: back, pelvis, buttocks
            "lying_support": np.where(np.isin(base, list(SPINE) + ["clavicle", "shoulder01", "root", "pelvis",
                                                                   "upperleg01"]))[0],
        }
        self.last_g: np.ndarray | None = None
        # segment rest vectors for aiming
        self._seg = {}
        for i, name in enumerate(self.labels):
            base, _, side = name.partition(".")
            end = SEG_END.get(base)
            if end:
                j = self.index[end + ("." + side if side else "")]
                self._seg[i] = self.rest_heads[j] - self.rest_heads[i]

    def idx(self, name: str) -> int:
        return self.index[name]

    def _solve_height(self, target_m: float) -> float:
        """anny's height phenotype (0..1) giving a rest-mesh stature of target_m (bisection;
        stature grows monotonically with it)."""
        torch = self.torch

        def stature(h: float) -> float:
            with torch.no_grad():
                v = self.m(phenotype_kwargs={**self.phen, "height": h})["vertices"][0].numpy()
            return float(np.ptp(v[:, 2]))
        lo, hi = 0.0, 1.0
        if stature(hi) < target_m or stature(lo) > target_m:
            from coach.errors import CoachError
            raise CoachError(f"anny cannot make a {target_m:.2f} m person with {self.phen}")
        for _ in range(16):
            mid = (lo + hi) / 2
            if stature(mid) < target_m:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    # ------------------------------------------------------------------ appearance
    def _dominant_bone(self) -> np.ndarray:
        bi = self.m.vertex_bone_indices.numpy()
        bw = self.m.vertex_bone_weights.numpy()
        dom = np.array(self.labels)[bi[np.arange(len(bi)), bw.argmax(1)]]
        return np.array([d.split(".")[0] for d in dom])

    def _landmark_vertices(self, v: np.ndarray) -> dict[int, int]:
        """Rest-pose vertex chosen for each face/foot landmark."""
        base = self._dominant_bone()
        out: dict[int, int] = {}
        head = np.isin(base, ["head", "neck03"])
        eye_z = self.rest_heads[self.idx("eye.L"), 2]
        hv = np.where(head)[0]
        # nose tip: the most forward (-Y) head vertex near the midline, below the eyes
        cand = hv[(np.abs(v[hv, 0]) < 0.01) & (v[hv, 2] < eye_z) & (v[hv, 2] > eye_z - 0.06)]
        out[0] = int(cand[np.argmin(v[cand, 1])])
        # ears: the most lateral head vertices near eye height
        band = hv[np.abs(v[hv, 2] - (eye_z - 0.015)) < 0.02]
        out[7] = int(band[np.argmax(v[band, 0])])
        out[8] = int(band[np.argmin(v[band, 0])])
        # mouth corners: lateral extremes of the front of the face ~5-6 cm under the eyes
        mouth = hv[(np.abs(v[hv, 2] - (eye_z - 0.065)) < 0.012) & (v[hv, 1] < v[out[0], 1] + 0.03)]
        out[9] = int(mouth[np.argmax(v[mouth, 0])])
        out[10] = int(mouth[np.argmin(v[mouth, 0])])
        for side, heel_i, toe_i in (("L", 29, 31), ("R", 30, 32)):
            sgn = 1 if side == "L" else -1
            foot = np.where(np.isin(base, ["foot"]) | np.char.startswith(base, "toe"))[0]
            foot = foot[v[foot, 0] * sgn > 0]
            low = foot[v[foot, 2] < v[foot, 2].min() + 0.03]
            out[heel_i] = int(low[np.argmax(v[low, 1])])  # most backward (+Y) low vertex
            out[toe_i] = int(low[np.argmin(v[low, 1])])   # most forward low vertex
        return out

    def _colors(self, v: np.ndarray, ap: Appearance) -> np.ndarray:
        from anny.face_segmentation import get_face_segmentation_mask
        from anny.paths import get_anny_root_dir
        from PIL import Image
        base = self._dominant_bone()
        c = np.tile(np.array(ap.skin, float), (len(v), 1))
        shirt = list(SPINE) + ["clavicle", "shoulder01", "upperarm01", "upperarm02"]
        if ap.long_sleeves:
            shirt += ["lowerarm01", "lowerarm02"]
        c[np.isin(base, shirt)] = ap.shirt
        c[np.isin(base, ["root", "pelvis", "upperleg01", "upperleg02", "lowerleg01", "lowerleg02"])] = ap.trousers
        if not ap.barefoot:
            c[np.isin(base, ["foot"]) | np.char.startswith(base, "toe")] = ap.shoes
        eye_z = self.rest_heads[self.idx("eye.L"), 2]
        head = self.rest_heads[self.idx("head")]
        hv = np.isin(base, ["head", "neck03"])
        hair = hv & ((v[:, 2] > eye_z + 0.045) | ((v[:, 1] > head[1]) & (v[:, 2] > eye_z - 0.07)))
        c[hair] = ap.hair
        brow = (hv & (v[:, 2] > eye_z + 0.018) & (v[:, 2] < eye_z + 0.03) & (np.abs(v[:, 0]) > 0.012)
                & (np.abs(v[:, 0]) < 0.055) & (v[:, 1] < head[1] - 0.06))
        c[brow] = ap.hair
        f = self.faces
        ft = self.m.face_texture_coordinate_indices.numpy()
        uv = self.m.texture_coordinates.numpy()
        for lab in ("eye_front.L", "eye_front.R"):
            fm = get_face_segmentation_mask(self.m, [lab]).numpy()
            c[np.unique(f[fm])] = (40, 30, 25)
        lips = np.asarray(Image.open(get_anny_root_dir() / "data/mpfb2/textures/mpfb_lips.jpg").convert("L"), float) / 255
        s = lips.shape[0]
        val = lips[np.clip(((1 - uv[:, 1]) * s).astype(int), 0, s - 1), np.clip((uv[:, 0] * s).astype(int), 0, s - 1)]
        vl = np.zeros(len(v))
        np.maximum.at(vl, f.ravel(), val[ft.ravel()])
        c = c * (1 - vl[:, None] * 0.6) + np.array([170, 70, 70]) * vl[:, None] * 0.6
        return c.clip(0, 255).astype(np.uint8)

    # ------------------------------------------------------------------ posing
    def solve(self, aims: dict | None = None, local: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-bone local rotations D (N,3,3) and posed joint heads (N,3), body frame.

        aims: {bone: ("dir", d, frame_bone|None) | ("point", p) | ("joint", bone, offset)
        | ("ik", ("point"|"joint"|"mix" target), pole) | ("bend", dir, flex_deg, pole, frame)}: the bone's segment points along d (body
        frame, or in frame_bone's posed frame), at a body-frame point, at a posed joint
        plus an offset, or (ik) the bone and its child reach the target with the middle
        joint bent towards ``pole``; (bend) the chain's end lies along dir from this joint with
        the middle joint flexed by flex_deg.
        local: {bone: 3x3}: a local-ref delta (composes down the chain).
        """
        aims, local = aims or {}, local or {}
        n = len(self.labels)
        g = np.zeros((n, 3, 3))
        d = np.tile(np.eye(3), (n, 1, 1))
        p = np.zeros((n, 3))
        ik_child: dict[str, np.ndarray] = {}
        for i, name in enumerate(self.labels):
            pi = self.parents[i]
            gp = g[pi] if i > 0 else np.eye(3)
            p[i] = (p[pi] + gp @ (self.rest_heads[i] - self.rest_heads[pi])) if i > 0 else self.rest_heads[0]
            if name in aims:
                a = aims[name]
                if a[0] == "ik":  # two-bone IK: this bone + its child reach a target
                    tgt, child_tgt = self._ik(i, p[i], self._target(a[1], p), a[2])
                    ik_child[self._child_of_seg(name)] = child_tgt
                elif a[0] == "bend":  # ("bend", dir, middle-joint flexion deg, pole, frame|None)
                    la, lb = self._lengths(i)
                    e = np.radians(a[2])
                    reach = np.sqrt(la * la + lb * lb + 2 * la * lb * np.cos(e)) * 0.999
                    dvec = g[self.index[a[4]]] @ unit(a[1]) if len(a) > 4 and a[4] else unit(a[1])
                    tgt, child_tgt = self._ik(i, p[i], p[i] + dvec * reach, a[3])
                    ik_child[self._child_of_seg(name)] = child_tgt
                elif a[0] in ("point", "joint", "mix"):
                    tgt = self._target(a, p) - p[i]
                else:
                    tgt = g[self.index[a[2]]] @ unit(a[1]) if a[2] else unit(a[1])
                cur = gp @ self._seg[i]
                gi = align(cur, tgt) @ gp
                if name in local:  # twist about the segment after aiming
                    gi = gi @ local[name]
                g[i] = gi
                d[i] = gp.T @ gi
            elif name in ik_child:
                tgt = ik_child[name] - p[i]
                cur = gp @ self._seg[i]
                gi = align(cur, tgt) @ gp
                if name in local:  # twist about the segment after aiming
                    gi = gi @ local[name]
                g[i] = gi
                d[i] = gp.T @ gi
            elif name in local:
                d[i] = local[name]
                g[i] = gp @ d[i]
            else:
                g[i] = gp
        self.last_g = g
        return d, p

    def _target(self, spec, p: np.ndarray) -> np.ndarray:
        if spec[0] == "point":
            return np.asarray(spec[1], float)
        if spec[0] == "joint":  # ("joint", bone, body-frame offset)
            return p[self.index[spec[1]]] + np.asarray(spec[2], float)
        if spec[0] == "mix":  # ("mix", target_a, target_b, weight of b)
            w = float(spec[3])
            return (1 - w) * self._target(spec[1], p) + w * self._target(spec[2], p)
        raise ValueError(f"unknown target {spec[0]!r}")

    def _child_of_seg(self, name: str) -> str:
        base, _, side = name.partition(".")
        return SEG_END[base] + "." + side

    def _lengths(self, i: int) -> tuple[float, float]:
        mid = self.index[self._child_of_seg(self.labels[i])]
        base, _, side = self.labels[mid].partition(".")
        end = self.index[SEG_END[base] + "." + side]
        return (float(np.linalg.norm(self.rest_heads[mid] - self.rest_heads[i])),
                float(np.linalg.norm(self.rest_heads[end] - self.rest_heads[mid])))

    def _ik(self, i: int, s: np.ndarray, target: np.ndarray, pole) -> tuple[np.ndarray, np.ndarray]:
        """Elbow/knee placement for a two-bone chain from bone i to target (body frame).

        Returns (direction for bone i, target point for the child bone)."""
        mid = self.index[self._child_of_seg(self.labels[i])]
        base, _, side = self.labels[mid].partition(".")
        end = self.index[SEG_END[base] + "." + side]
        a = np.linalg.norm(self.rest_heads[mid] - self.rest_heads[i])
        b = np.linalg.norm(self.rest_heads[end] - self.rest_heads[mid])
        v = target - s
        dist = np.linalg.norm(v)
        u = unit(v)
        if dist >= a + b - 1e-6:
            return u, s + u * (a + b) * 1.0
        dist = max(dist, abs(a - b) + 1e-3)
        cos_al = (a * a + dist * dist - b * b) / (2 * a * dist)
        al = np.arccos(np.clip(cos_al, -1, 1))
        w = unit(np.asarray(pole, float) - np.dot(pole, u) * u)
        elbow_dir = np.cos(al) * u + np.sin(al) * w
        return elbow_dir, target

    def skin(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vertices (V,3) and joint heads (N,3) in the body frame for local rotations d."""
        torch = self.torch
        n = len(self.labels)
        pose = torch.eye(4, dtype=self.m.dtype).repeat(1, n, 1, 1)
        pose[0, :, :3, :3] = torch.from_numpy(d)
        with torch.no_grad():
            out = self.m(pose_parameters=pose, phenotype_kwargs=self.phen or None)
        return out["vertices"][0].numpy(), out["bone_poses"][0, :, :3, 3].numpy()

    def landmarks(self, verts: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """(33,3) BlazePose landmarks in the frame of verts/heads; NaN where unmapped."""
        out = np.full((33, 3), np.nan)
        for k, b in BONE_LANDMARKS.items():
            out[k] = heads[self.index[b]]
        for k, vi in self.vertex_landmarks.items():
            out[k] = verts[vi]
        return out
