"""render_clip: motion script -> posed anny body -> pyrender frames -> H.264 video + truth.

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
from coach.synth.exercises import EXERCISES
from coach.synth.geometry import intrinsics, project, rot, world_to_camera_cv
from coach.synth.motion import breathing, mirror, sway
from coach.synth.variation import MODES, SensorModel, Variation, make_variation

IMAGE_WH = (640, 480)
LYING_SUPPORTS = ("spine05", "spine03", "spine01", "neck02", "upperarm01.L", "upperarm01.R",
                  "upperleg01.L", "upperleg01.R")
GRIP_ABOVE_WRIST_M = 0.06
# a landmark counts as visible when the rendered surface at its pixel is no more than this much
# nearer to the camera than the landmark itself: surface points (face, feet) get a small margin,
# joint centres (inside the limb) a larger one
VIS_MARGIN_M = np.array([0.04] * 11 + [0.12] * 6 + [0.05] * 6 + [0.12] * 6 + [0.04] * 4)


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


def _pose_frames(ex, script, body, fps, seed):
    """Per frame: local rotations D, body-frame joints, world rotation, anchor info."""
    n = int(round(script.t_s * fps))
    frames = []
    for i in range(n):
        t = i / fps
        p, seg = script.at(t)
        p["t"] = t
        p["breath"] = float(breathing(t, 5.0))
        p["sway"] = float(sway(t, seed))
        p["sway2"] = float(sway(t, seed, 1))
        spec = ex.pose(p)
        if seg.side == "left":
            spec = mirror(spec)
        if spec.anchor == "all_fours":
            d, joints, r_world = _solve_all_fours(body, spec)
        else:
            d, joints = body.solve(spec.aims, spec.local)
            r_world = spec.world_rot
        frames.append(dict(t=t, p=p, seg=seg, spec=spec, d=d, joints=joints, R=r_world))
    return frames


def _solve_all_fours(body, spec):
    """Tilt the trunk (pitch about world X) until the hands sit ~2.5 cm below the knee joints,
    with the limbs given in world directions (extras['world_aims'])."""
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
        return jw[iw, 2].mean() - jw[ik, 2].mean() + 0.025, d, j, r
    lo, hi = -35.0, 35.0
    flo = attempt(lo)[0]
    for _ in range(14):
        mid = (lo + hi) / 2
        fm = attempt(mid)[0]
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    _, d, j, r = attempt((lo + hi) / 2)
    return d, j, r


def _place(frames, body, verts0):
    """World translation per frame, from the anchor of each frame's PoseSpec."""
    f0 = frames[0]
    w0 = f0["joints"] @ f0["R"].T
    v0 = verts0 @ f0["R"].T
    min_v0 = v0[:, 2].min()
    anchor = f0["spec"].anchor
    sup = [body.idx(b) for b in LYING_SUPPORTS]
    ikn = [body.idx("lowerleg01.L"), body.idx("lowerleg01.R")]
    iwr = [body.idx("wrist.L"), body.idx("wrist.R")]
    clear = w0[sup, 2] - min_v0
    knee_clear = w0[ikn, 2].mean() - min_v0
    knee_xy0 = w0[ikn, :2].mean(0)
    bar = None
    if anchor == "hang":
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
        else:  # seated, standing: fixed, feet on the floor at the start
            t = np.array([0, 0, -min_v0])
        f["T"] = t + off
        f["world_joints"] = w + f["T"]
    return bar


def _props(ex, frames, body, verts0, var: Variation, bar):
    from coach.synth import scene
    props = []
    allj = np.concatenate([f["world_joints"] for f in frames[:: max(1, len(frames) // 50)]])
    if "mat" in ex.props:
        c = (allj[:, :2].min(0) + allj[:, :2].max(0)) / 2
        props.append(scene.mat_mesh(c, 1.85, 0.66, 0.0, var.look.mat_rgb))
    if "chair" in ex.props:
        f0 = frames[0]
        v = verts0 @ f0["R"].T + f0["T"]
        hips = f0["world_joints"][[body.idx("upperleg01.L"), body.idx("upperleg01.R")]]
        seat_z = hips[:, 2].mean() - 0.09
        band = v[(v[:, 2] > seat_z + 0.05) & (v[:, 2] < seat_z + 0.45) & (np.abs(v[:, 0] - hips[:, 0].mean()) < 0.2)]
        back_y = band[:, 1].max() + 0.015
        sh_z = f0["world_joints"][[body.idx("upperarm01.L"), body.idx("upperarm01.R")], 2].mean()
        top = ex.extras.get("chair_back_top", "mid_scapula")
        back_top = sh_z - 0.12 if top == "mid_scapula" else seat_z + 0.5
        props += scene.chair_meshes((hips[:, 0].mean(), back_y - 0.02 + 0.0), seat_z, back_y, back_top)
    if "bar" in ex.props and bar is not None:
        props += scene.bar_meshes(bar)
    return props


def render_clip(exercise_id: str, mistake: str | None = None, side: str = "both", seed: int = 0,
                out_path: str | Path | None = None, fps: float = 10.0, variation: str | Variation = "full",
                crf: int = 28, progress: Callable[[int, int], None] | None = None,
                preview_s: list[float] | None = None) -> Path:
    """Render one clip and its truth file; returns the video path.

    The truth file lands next to the video as ``<stem>.truth.json.gz``. With preview_s,
    only the frames at those times are rendered, into a PNG contact sheet at out_path
    (with the true 2D landmarks drawn), and no truth is written.
    """
    ex = _check_args(exercise_id, mistake, side, fps, variation)
    out = Path(out_path or f"{exercise_id}_{mistake or 'good'}_{side}_s{seed}.mp4")
    if out.suffix != ".mp4":
        raise CoachError(f"--out: expecting a .mp4 path, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        import imageio_ffmpeg
        from coach.synth import scene
        from coach.synth.body import Body
    except ImportError as exc:
        raise CoachError(f"the renderer needs {exc.name}: install the synth extra: pip install -e .[synth]") from exc
    import pyrender

    var = variation if isinstance(variation, Variation) else make_variation(seed, variation)
    sides = ex.plan_sides(side, mistake)
    script = ex.script(sides, mistake)
    body = Body(var.phenotype, var.appearance)
    frames = _pose_frames(ex, script, body, fps, seed)
    verts0, _ = body.skin(frames[0]["d"])
    bar = _place(frames, body, verts0)

    allj = np.concatenate([f["world_joints"] for f in frames])
    centre = (allj.min(0) + allj.max(0)) / 2
    cj = var.camera
    cam = scene.camera_pose(ex.camera, centre, 0.0, cj.az_deg, cj.dist_scale, cj.height_offset_m, cj.side_sign)
    k = intrinsics(IMAGE_WH, scene.YFOV_DEG)
    rng = np.random.default_rng(var.look.room_seed)
    sc = scene.build_room(cam, centre, var.look, _props(ex, frames, body, verts0, var, bar), rng)
    renderer = pyrender.OffscreenRenderer(*IMAGE_WH)
    sensor = SensorModel(var.sensor, np.random.default_rng(seed + 1), (IMAGE_WH[1], IMAGE_WH[0]))
    mesher = scene.BodyMesher(body.faces, body.colors, len(verts0))

    if preview_s is not None:
        return _preview(frames, preview_s, fps, body, sc, renderer, cam, k, out, sensor, mesher)
    n = len(frames)
    xy = np.zeros((n, 33, 2))
    xyz = np.zeros((n, 33, 3))
    vis = np.zeros((n, 33), bool)
    w2c = world_to_camera_cv(cam)
    part = out.with_name(f".{out.name}.part")  # renamed when video and truth are complete
    writer = imageio_ffmpeg.write_frames(
        str(part), IMAGE_WH, fps=fps, codec="libx264", quality=None, macro_block_size=16,
        output_params=["-crf", str(crf), "-preset", "medium", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                       "-f", "mp4"],
        ffmpeg_log_level="error")
    writer.send(None)
    t_start = time.time()
    try:
        for i, f in enumerate(frames):
            vb, hb = body.skin(f["d"])
            r, t = f["R"], f["T"]
            v = vb @ r.T + t
            node = sc.add(mesher(v))
            color, depth = renderer.render(sc)
            sc.remove_node(node)
            lm = body.landmarks(vb, hb) @ r.T + t
            xyz[i] = lm
            xy[i] = project(lm, cam, k)
            zc = lm @ w2c[:3, :3].T + w2c[:3, 3]
            u = np.round(np.nan_to_num(xy[i], nan=-1.0)).astype(int)
            inside = np.isfinite(xy[i]).all(1) & (u[:, 0] >= 0) & (u[:, 0] < IMAGE_WH[0]) & (u[:, 1] >= 0) & (u[:, 1] < IMAGE_WH[1])
            uu = np.where(inside[:, None], u, 0)
            dbuf = depth[uu[:, 1], uu[:, 0]]
            vis[i] = inside & ((dbuf == 0) | (dbuf > zc[:, 2] - VIS_MARGIN_M))
            writer.send(sensor(color))
            if progress:
                progress(i + 1, n)
    finally:
        writer.close()
        renderer.delete()
    elapsed = time.time() - t_start

    keys = [k_ for k_ in frames[0]["p"] if k_ != "t"]
    script_values = {k_: np.array([f["p"][k_] for f in frames]) for k_ in keys}
    import coach
    cam_info = dict(kind=ex.camera, view=scene.CAMERAS[ex.camera]["view"], yfov_deg=scene.YFOV_DEG,
                    K=np.round(k, 3).tolist(), world_to_camera=np.round(w2c, 5).tolist(),
                    cam_to_world_gl=np.round(cam, 5).tolist(), position_m=np.round(cam[:3, 3], 3).tolist(),
                    person_side_facing_camera=("left" if cj.side_sign > 0 else "right")
                    if scene.CAMERAS[ex.camera]["view"] == "side" else "front",
                    world="metres, Z up, floor at z=0")
    notes = list(script.notes) + [f"rendered in {elapsed:.0f} s ({elapsed / max(n, 1):.3f} s/frame)"]
    tr = truth_mod.build(
        exercise=exercise_id, mistake=mistake, sides=[s for s in sides if s], seed=seed, variation=var.to_json(),
        fps=fps, image_wh=IMAGE_WH, camera=cam_info, xy_px=xy, xyz_m=xyz, visible=vis,
        script_values=script_values, phases=script.phases(), mistakes=script.mistakes, events=script.events,
        notes=notes, video_name=out.name, generator=f"coach.synth {coach.__version__}",
        visible_margin_m=[float(x) for x in VIS_MARGIN_M])
    problems = truth_mod.validate(tr)
    if problems:
        raise CoachError("internal: the truth file would be invalid: " + "; ".join(problems[:5]))
    truth_mod.write(tr, truth_mod.truth_path(out))
    os.replace(part, out)
    return out


def _preview(frames, times, fps, body, sc, renderer, cam, k, out, sensor, mesher) -> Path:
    from PIL import Image, ImageDraw
    from coach.synth import scene
    tiles = []
    try:
        for t in times:
            f = frames[min(len(frames) - 1, int(round(t * fps)))]
            vb, hb = body.skin(f["d"])
            v = vb @ f["R"].T + f["T"]
            node = sc.add(mesher(v))
            color, _ = renderer.render(sc)
            sc.remove_node(node)
            img = Image.fromarray(sensor(color))
            dr = ImageDraw.Draw(img)
            lm = project(body.landmarks(vb, hb) @ f["R"].T + f["T"], cam, k)
            for j, (x, y) in enumerate(lm):
                if np.isfinite(x):
                    c = (255, 0, 0) if j % 2 else (0, 120, 255)
                    dr.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(0, 255, 0) if j < 11 else c)
            dr.text((5, 5), f"t={f['t']:.1f}s {f['seg'].phase} {f['seg'].side}", fill=(255, 255, 0))
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
