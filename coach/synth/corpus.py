"""The varied corpus: three splits fixed by seed, a manifest, an estimate of the render cost.

``plan()`` returns the deterministic list of clips (``CorpusClip``), in render order:

1. the good clips of dev and test, round-robin over the exercises,
2. the camera_off clips of dev and test,
3. the test mistakes, 4. the dev mistakes, 5. everything of val,

so a partial run is useful early. Splits:

- ``dev`` (tuning): per exercise 6 good + 1 camera_off + every mistake once + about half of
  the mistakes a second time at the other size;
- ``val`` (checking): per exercise 2 good + 1 camera_off + about half of the mistakes once;
- ``test`` (reported only): per exercise 5 good + 1 camera_off + every mistake once, sizes
  balanced across the split (the opposite size of dev's first one, so dev + test hold both
  sizes of every mistake).

People and rooms come from numbered preset pools (variation.body_presets / room_presets):
test uses presets that dev and val never use. Camera, fps, sensor and style are drawn per
clip from split-specific seeds. Numpy only (no renderer needed to plan).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from coach.synth.exercises import BINARY_MISTAKES, EXERCISES, GOOD, SIZES, Style, draw_style
from coach.synth.variation import (CAMERA_HEIGHTS, BodyPreset, CameraPlan, RoomPreset, Sensor, body_presets,
                                   corpus_variation, draw_camera, draw_fps, draw_sensor, room_presets)

SPLITS = ("dev", "val", "test")
MANIFEST_FORMAT = "coach-synth-corpus-manifest"
MANIFEST_VERSION = 1
SPLIT_SEEDS = {"dev": 1101, "val": 2202, "test": 3303}
N_BODIES, N_ROOMS = 42, 24
BODY_POOLS = {"dev": range(0, 30), "val": range(0, 30), "test": range(30, 42)}
ROOM_POOLS = {"dev": range(0, 16), "val": range(0, 16), "test": range(16, 24)}
GOOD_PER_EXERCISE = {"dev": 6, "val": 2, "test": 5}
# camera_off: where an unsupported camera stands, per exercise (the article's supported views:
# lying_twist and crossed_leg_rotation "side-on or from the feet end" -> the head end is not
# supported; the other side-view exercises: either end; front views: from the side)
OFF_AXIS = {"lying_twist": "head_end", "crossed_leg_rotation": "head_end", "knee_to_chest": "either_end",
            "cat_cow": "either_end", "chair_extension": "either_end", "seated_rotation": "side",
            "passive_hang": "side"}
# measured render cost, wall clock per frame including the clip's set-up (body, calibration,
# posing, plausibility pre-pass), on this 2-core machine with the anny cache warm (2026-12-06):
# one process (torch 2 threads): 0.131-0.156 s/frame (lying_twist 324 frames 50.7 s, cat_cow
# 530 frames 69.7 s); two workers side by side (1 torch thread each): 0.19-0.21 s/frame each
# (seated_rotation 451 frames 86 s, chair_extension 384 frames 79 s)
SEC_PER_FRAME_1PROC = 0.15
SEC_PER_FRAME_2PROC = 0.20   # each of two processes running side by side


@dataclass(frozen=True)
class CorpusClip:
    id: str
    split: str
    exercise: str
    kind: str                 # good / mistake / camera_off
    mistake: str | None
    size: str | None          # just_past / obvious (mistakes only)
    sides: tuple              # sides done, in order ((None,) when the exercise has none)
    seed: int
    fps: int
    camera: CameraPlan
    body: BodyPreset
    room: RoomPreset
    sensor: Sensor
    style: Style
    order: int = 0

    @property
    def relpath(self) -> str:
        return f"{self.split}/{self.exercise}/{self.id}.mp4"

    @cached_property
    def script(self):
        ex = EXERCISES[self.exercise]
        return ex.script(list(self.sides), self.mistake, self.style, self.size or "obvious").pad_to_frames(self.fps)

    @property
    def duration_s(self) -> float:
        return float(self.script.t_s)

    @property
    def frames(self) -> int:
        return self.script.frame_count(self.fps)

    def variation(self):
        return corpus_variation(self.seed, self.body, self.room, self.camera, self.sensor)

    def clip_info(self) -> dict:
        """The corpus fields written into the truth's ``clip``."""
        return dict(id=self.id, split=self.split, kind=self.kind, size=self.size,
                    camera=self.camera.summary(), body=self.body.summary(), room=dict(preset=self.room.id),
                    style=self.style.to_json())

    def manifest_entry(self) -> dict:
        return dict(id=self.id, order=self.order, split=self.split, exercise=self.exercise, kind=self.kind,
                    mistake=self.mistake, size=self.size, sides=[s for s in self.sides if s], seed=self.seed,
                    fps=self.fps, duration_s=round(self.duration_s, 2), frames=self.frames, path=self.relpath,
                    camera=self.camera.summary(), body=self.body.summary(), room=dict(preset=self.room.id),
                    sensor=dict(noise_sigma=round(self.sensor.noise_sigma, 2), blur_px=round(self.sensor.blur_px, 2),
                                jpeg_quality=self.sensor.jpeg_quality),
                    style=self.style.to_json(),
                    expected=dict(camera_supported=self.camera.supported))


def _short_holds(ex_id: str, style: Style, rng: np.random.Generator) -> Style:
    """Mistake and camera_off clips: holds (and rocking) that are not the mistake sit at the
    article's minimum + 1-3 s, pauses are short (render time is the budget)."""
    from dataclasses import replace
    g = GOOD[ex_id]
    kw = {}
    if style.hold_s is not None:
        kw["hold_s"] = round(float(g["hold_s"][0] + rng.uniform(0, 2 if g["hold_s"][0] > 10 else 0.5)), 1)
    if style.rock_s is not None:
        kw["rock_s"] = round(float(g["rock_s"][0] + rng.uniform(0, 2)), 1)
    kw["pause_s"] = min(style.pause_s, 1.5)
    return replace(style, **kw)


class _Cycler:
    """Draws from a pool in shuffled rounds, so every member is used about equally."""

    def __init__(self, items, rng: np.random.Generator):
        self.items, self.rng, self.queue = list(items), rng, []

    def __call__(self):
        if not self.queue:
            self.queue = [self.items[i] for i in self.rng.permutation(len(self.items))]
        return self.queue.pop()


def _split_clips(split: str, bodies, rooms) -> list[CorpusClip]:
    rng = np.random.default_rng(SPLIT_SEEDS[split])
    body_c = _Cycler([bodies[i] for i in BODY_POOLS[split]], rng)
    room_c = _Cycler([rooms[i] for i in ROOM_POOLS[split]], rng)
    height_c = _Cycler(list(CAMERA_HEIGHTS), rng)
    # mistake sizes: test balanced across the split; dev first the other size; val random
    all_m = [(ex.id, m) for ex in EXERCISES.values() for m in ex.mistakes]
    test_size = {}
    flip = 0
    for ex_id, m in [all_m[i] for i in np.random.default_rng(SPLIT_SEEDS["test"] + 1).permutation(len(all_m))]:
        if (ex_id, m) in BINARY_MISTAKES:
            test_size[(ex_id, m)] = "obvious"
        else:
            test_size[(ex_id, m)] = SIZES[flip % 2]
            flip += 1
    other = {"just_past": "obvious", "obvious": "just_past"}
    out: list[CorpusClip] = []
    for ex_i, ex in enumerate(EXERCISES.values()):
        todo: list[tuple[str, str | None, str | None]] = [("good", None, None)] * GOOD_PER_EXERCISE[split]
        todo.append(("camera_off", None, None))
        ms = list(ex.mistakes)
        half = [ms[i] for i in sorted(np.random.default_rng(SPLIT_SEEDS[split] + 7 + ex_i).permutation(len(ms))[: (len(ms) + 1) // 2])]
        if split == "test":
            todo += [("mistake", m, test_size[(ex.id, m)]) for m in ms]
        elif split == "dev":
            todo += [("mistake", m, other[test_size[(ex.id, m)]] if (ex.id, m) not in BINARY_MISTAKES else "obvious")
                     for m in ms]
            todo += [("mistake", m, test_size[(ex.id, m)]) for m in half if (ex.id, m) not in BINARY_MISTAKES]
        else:
            todo += [("mistake", m, "obvious" if (ex.id, m) in BINARY_MISTAKES else SIZES[int(rng.integers(2))])
                     for m in half]
        counters: dict[str, int] = {}
        for k, (kind, m, size) in enumerate(todo):
            crng = np.random.default_rng([SPLIT_SEEDS[split], ex_i, k])
            seed = SPLIT_SEEDS[split] * 1000 + ex_i * 100 + k
            style = draw_style(ex.id, crng)
            if kind != "good":
                style = _short_holds(ex.id, style, crng)
            cam = draw_camera(crng, ex.view, OFF_AXIS[ex.id] if kind == "camera_off" else None, height_c())
            if kind == "good":
                sides = tuple(ex.plan_sides("both", None, style.side_first))
            else:
                first = ex.plan_sides("both", None, style.side_first)[0]
                sides = (first,) if ex.sides else (None,)
            label = m or kind
            n = counters[label] = counters.get(label, 0) + 1
            tag = {"just_past": "jp", "obvious": "ob"}.get(size or "", f"{n:02d}")
            cid = f"{split}_{ex.id}_{label}_{tag}" + (f"{n}" if m and n > 1 and tag else "")
            out.append(CorpusClip(id=cid, split=split, exercise=ex.id, kind=kind, mistake=m, size=size, sides=sides,
                                  seed=seed, fps=draw_fps(crng), camera=cam, body=body_c(), room=room_c(),
                                  sensor=draw_sensor(crng), style=style))
    return out


def plan() -> list[CorpusClip]:
    """All corpus clips, in render order (see the module docstring). Deterministic."""
    bodies, rooms = body_presets(N_BODIES), room_presets(N_ROOMS)
    by_split = {s: _split_clips(s, bodies, rooms) for s in SPLITS}
    ex_order = list(EXERCISES)

    def rr(clips):  # round-robin over the exercises
        per = {e: [c for c in clips if c.exercise == e] for e in ex_order}
        out = []
        while any(per.values()):
            for e in ex_order:
                if per[e]:
                    out.append(per[e].pop(0))
        return out
    groups = [
        rr([c for s in ("dev", "test") for c in by_split[s] if c.kind == "good"]),
        rr([c for s in ("dev", "test") for c in by_split[s] if c.kind == "camera_off"]),
        rr([c for c in by_split["test"] if c.kind == "mistake"]),
        rr([c for c in by_split["dev"] if c.kind == "mistake"]),
        rr(by_split["val"]),
    ]
    ordered = [c for g in groups for c in g]
    from dataclasses import replace
    return [replace(c, order=i) for i, c in enumerate(ordered)]


def select(clips: list[CorpusClip], split: str = "all") -> list[CorpusClip]:
    if split != "all" and split not in SPLITS:
        raise ValueError(f"split must be one of {['all', *SPLITS]}, got {split!r}")
    return [c for c in clips if split == "all" or c.split == split]


def estimate(clips: list[CorpusClip]) -> dict:
    frames = sum(c.frames for c in clips)
    return dict(clips=len(clips), frames=frames, duration_min=round(sum(c.duration_s for c in clips) / 60, 1),
                s_per_frame_1proc=SEC_PER_FRAME_1PROC, s_per_frame_2proc=SEC_PER_FRAME_2PROC,
                hours_1_worker=round(frames * SEC_PER_FRAME_1PROC / 3600, 1),
                hours_2_workers=round(frames * SEC_PER_FRAME_2PROC / 2 / 3600, 1))


def manifest(clips: list[CorpusClip] | None = None) -> dict:
    import coach
    clips = plan() if clips is None else clips
    counts: dict = {}
    for c in clips:
        e = counts.setdefault(c.split, {}).setdefault(c.exercise, {"good": 0, "camera_off": 0, "mistake": 0, "frames": 0})
        e[c.kind] += 1
        e["frames"] += c.frames
    return dict(format=MANIFEST_FORMAT, version=MANIFEST_VERSION, generator=f"coach.synth {coach.__version__}",
                splits={s: dict(bodies=[f"b{i:02d}" for i in BODY_POOLS[s]], rooms=[f"r{i:02d}" for i in ROOM_POOLS[s]],
                                seed=SPLIT_SEEDS[s]) for s in SPLITS},
                counts=counts, estimate=estimate(clips), clips=[c.manifest_entry() for c in clips])


def write_manifest(path: str | Path, clips: list[CorpusClip] | None = None) -> dict:
    m = manifest(clips)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(m, indent=1) + "\n")
    return m


def summary_table(clips: list[CorpusClip]) -> str:
    """Clips per split and exercise (good / camera_off / mistakes) and frames."""
    lines = [f"{'split':6} {'exercise':22} {'good':>4} {'off':>4} {'mist':>5} {'frames':>8}"]
    for s in SPLITS:
        for e in EXERCISES:
            cs = [c for c in clips if c.split == s and c.exercise == e]
            if not cs:
                continue
            lines.append(f"{s:6} {e:22} {sum(c.kind == 'good' for c in cs):4d} {sum(c.kind == 'camera_off' for c in cs):4d}"
                         f" {sum(c.kind == 'mistake' for c in cs):5d} {sum(c.frames for c in cs):8d}")
        cs = [c for c in clips if c.split == s]
        lines.append(f"{s:6} {'(all)':22} {sum(c.kind == 'good' for c in cs):4d} {sum(c.kind == 'camera_off' for c in cs):4d}"
                     f" {sum(c.kind == 'mistake' for c in cs):5d} {sum(c.frames for c in cs):8d}")
    return "\n".join(lines)
