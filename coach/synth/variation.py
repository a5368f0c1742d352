"""Seeded variation: body shape and age, skin tone, clothes, camera, room, light, sensor.

``make_variation(seed, mode)`` (the committed sample set): mode "none" gives the plain reference look (a clean,
clearly visible person; the seed is ignored), "mild" varies looks but keeps the camera
and image clean, "full" varies everything (camera angle +-30 deg, distance, light, noise,
blur, compression). The corpus (corpus.py) uses numbered body and room preset pools
(``body_presets``, ``room_presets``) and a laptop camera per clip (``draw_camera``):
``corpus_variation``. Numpy only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from coach.synth.body import Appearance

SKIN_TONES = [(236, 192, 160), (224, 172, 140), (198, 145, 110), (160, 110, 80), (120, 80, 55), (90, 60, 42)]
SHIRTS = [(40, 90, 170), (170, 40, 50), (60, 130, 70), (220, 220, 215), (240, 170, 40), (90, 60, 130), (30, 30, 35)]
TROUSERS = [(45, 45, 55), (30, 45, 90), (110, 110, 115), (70, 55, 40), (20, 20, 25)]
HAIR = [(55, 35, 20), (20, 15, 12), (150, 110, 60), (200, 190, 170), (110, 50, 25)]
MATS = [(110, 70, 150), (60, 130, 140), (40, 90, 60), (160, 60, 70), (70, 70, 80)]
WALLS = [(205, 200, 185), (215, 215, 210), (190, 200, 205), (210, 195, 175), (180, 185, 170)]
FLOORS = [(150, 110, 75), (180, 140, 100), (120, 85, 60), (165, 150, 130)]
MODES = ("none", "mild", "full")  # "corpus" variations come from corpus_variation()


@dataclass(frozen=True)
class Look:
    """Room, light and sensor settings."""

    light: float = 1.0
    key_az_deg: float = 20.0
    fill_rgb: tuple[int, int, int] = (255, 255, 255)
    floor_rgb: tuple[int, int, int] = (150, 110, 75)
    wall_rgb: tuple[int, int, int] = (205, 200, 185)
    wall_dist_m: float = 1.6
    side_wall_m: float = 3.5
    picture_offset_m: float = 1.2
    picture_rgb: tuple[int, int, int] = (90, 120, 100)
    mat_rgb: tuple[int, int, int] = (110, 70, 150)
    room_seed: int = 0


@dataclass(frozen=True)
class Sensor:
    noise_sigma: float = 0.0     # Gaussian noise, 0..255 units
    blur_px: float = 0.0         # Gaussian blur radius
    jpeg_quality: int = 0        # 0 = no JPEG round trip
    gamma: float = 1.0
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class CameraJitter:
    az_deg: float = 0.0
    dist_scale: float = 1.0
    height_offset_m: float = 0.0
    side_sign: float = 1.0       # side views: +1 camera on the person's left, -1 on the right


@dataclass(frozen=True)
class Variation:
    mode: str = "none"
    seed: int = 0
    phenotype: dict = field(default_factory=dict)
    appearance: Appearance = Appearance()
    look: Look = Look()
    camera: CameraJitter = CameraJitter()
    sensor: Sensor = Sensor()
    camera_plan: "CameraPlan | None" = None   # corpus clips: the laptop camera (else the exercise's camera kind)
    body: "BodyPreset | None" = None          # corpus clips: the person preset (phenotype solved for its stature)
    room_id: str | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        return d


def _pick(rng, seq):
    return tuple(seq[int(rng.integers(len(seq)))])


def make_variation(seed: int = 0, mode: str = "full") -> Variation:
    if mode not in MODES:
        raise ValueError(f"variation must be one of {list(MODES)}, got {mode!r}")
    if mode == "none":
        return Variation(mode=mode, seed=seed)
    rng = np.random.default_rng(seed)
    phen = dict(gender=float(rng.uniform(0, 1)), age=float(rng.uniform(0.45, 0.95)),
                weight=float(rng.uniform(0.2, 0.85)), muscle=float(rng.uniform(0.3, 0.7)),
                height=float(rng.uniform(0.3, 0.7)))
    ap = Appearance(skin=_pick(rng, SKIN_TONES), shirt=_pick(rng, SHIRTS), trousers=_pick(rng, TROUSERS),
                    shoes=_pick(rng, [(235, 235, 235), (40, 40, 45), (200, 60, 60)]), hair=_pick(rng, HAIR),
                    long_sleeves=bool(rng.random() < 0.4), barefoot=bool(rng.random() < 0.3))
    look = Look(light=float(rng.uniform(0.55, 1.2)), key_az_deg=float(rng.uniform(-50, 50)),
                fill_rgb=_pick(rng, [(255, 255, 255), (255, 235, 210), (225, 235, 255)]),
                floor_rgb=_pick(rng, FLOORS), wall_rgb=_pick(rng, WALLS), wall_dist_m=float(rng.uniform(1.2, 2.2)),
                side_wall_m=float(rng.uniform(2.5, 4.5)), picture_offset_m=float(rng.uniform(-1.5, 1.5)),
                picture_rgb=_pick(rng, [(90, 120, 100), (160, 150, 90), (70, 90, 140)]),
                mat_rgb=_pick(rng, MATS), room_seed=int(rng.integers(1 << 16)))
    if mode == "mild":
        return Variation(mode=mode, seed=seed, phenotype=phen, appearance=ap, look=replace(look, light=max(look.light, 0.85)))
    cam = CameraJitter(az_deg=float(rng.uniform(-30, 30)), dist_scale=float(rng.uniform(0.9, 1.25)),
                       height_offset_m=float(rng.uniform(-0.1, 0.15)), side_sign=float(rng.choice([1.0, -1.0])))
    sensor = Sensor(noise_sigma=float(rng.uniform(0.8, 2.5)), blur_px=float(rng.uniform(0.0, 1.2)),
                    jpeg_quality=int(rng.integers(35, 85)), gamma=float(rng.uniform(0.85, 1.15)),
                    white_balance=tuple(float(x) for x in rng.uniform(0.92, 1.08, 3)))
    return Variation(mode=mode, seed=seed, phenotype=phen, appearance=ap, look=look, camera=cam, sensor=sensor)


class SensorModel:
    """Applies a Sensor to frames cheaply: blur (PIL), white balance + gamma through a
    per-channel lookup table, Gaussian noise from a small pre-drawn bank (randomly shifted
    per frame), then a JPEG round trip."""

    def __init__(self, s: Sensor, rng: np.random.Generator, image_hw: tuple[int, int] = (480, 640)):
        self.s, self.rng = s, rng
        v = np.arange(256, dtype=np.float64) / 255.0
        self.lut = np.stack([np.clip(255.0 * np.clip(v * wb, 0, 1) ** s.gamma + 0.5, 0, 255)
                             for wb in s.white_balance], 1).astype(np.uint8)  # (256, 3)
        self.identity = s.gamma == 1.0 and tuple(s.white_balance) == (1.0, 1.0, 1.0)
        self.bank = None
        if s.noise_sigma > 0:
            h, w = image_hw
            self.bank = np.round(rng.normal(0, s.noise_sigma, (4, h + 16, w + 16, 3))).astype(np.int16)

    def __call__(self, img: np.ndarray) -> np.ndarray:
        from PIL import Image, ImageFilter
        s = self.s
        if s.blur_px > 0.05:
            img = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(s.blur_px)))
        if not self.identity:
            img = np.stack([self.lut[img[..., c], c] for c in range(3)], -1)
        if self.bank is not None:
            h, w = img.shape[:2]
            k, dy, dx = self.rng.integers(4), self.rng.integers(16), self.rng.integers(16)
            img = np.clip(img.astype(np.int16) + self.bank[k, dy:dy + h, dx:dx + w], 0, 255).astype(np.uint8)
        if s.jpeg_quality:
            import io
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="JPEG", quality=int(s.jpeg_quality))
            img = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        return np.ascontiguousarray(img)


def apply_sensor(img: np.ndarray, s: Sensor, rng: np.random.Generator) -> np.ndarray:
    """One-off version of SensorModel (builds the model each call)."""
    return SensorModel(s, rng, img.shape[:2])(img)


# ============================================================================ corpus variation
# The corpus (coach/synth/corpus.py) draws people and rooms from fixed, numbered preset pools
# (so splits can use disjoint pools) and a camera per clip.

CAMERA_HEIGHTS = {  # class -> camera height range (m): where a laptop stands
    "floor": (0.05, 0.20),
    "chair": (0.40, 0.50),
    "desk": (0.70, 0.80),
}
FPS_CHOICES = (10, 12, 15, 24, 30)
MIRRORED_SHARE = 0.4
DIST_RANGE_M = (1.5, 4.0)
DIST_CAP_M = 4.5
AGE_GROUPS = {"young": (0.68, 0.74), "middle": (0.77, 0.86), "old": (0.90, 1.00)}  # anny age: 2/3 = young adult, 1 = old
BUILDS = {"slim": (0.05, 0.25), "average": (0.35, 0.60), "heavy": (0.75, 1.00)}     # anny weight
STATURE_M = {"woman": (1.50, 1.82), "man": (1.60, 1.95)}


@dataclass(frozen=True)
class BodyPreset:
    id: str
    sex: str                 # woman / man
    age_group: str           # young / middle / old
    build: str               # slim / average / heavy
    height_m: float          # wanted stature; the renderer solves anny's height for it and records the real one
    phenotype: dict = field(default_factory=dict)   # anny phenotype without "height"
    appearance: Appearance = Appearance()

    def summary(self) -> dict:
        return dict(preset=self.id, sex=self.sex, age_group=self.age_group, build=self.build,
                    height_m=round(self.height_m, 3))


@dataclass(frozen=True)
class RoomPreset:
    id: str
    look: Look


def body_presets(n: int = 42, seed: int = 7001) -> list[BodyPreset]:
    """The numbered pool of people (deterministic). Sexes alternate; age group and build cycle
    out of step; statures are spread evenly over each sex's range within every run of 12."""
    rng = np.random.default_rng(seed)
    out = []
    groups, builds = list(AGE_GROUPS), list(BUILDS)
    for i in range(n):
        sex = "woman" if i % 2 == 0 else "man"
        age_group = groups[i % 3]
        build = builds[(i // 3 + i) % 3]
        lo, hi = STATURE_M[sex]
        k = (i // 2) % 6
        frac = (k + rng.uniform(0.1, 0.9)) / 6 if k not in (0, 5) else (0.0 if k == 0 else 1.0)
        height = lo + (hi - lo) * frac
        phen = dict(gender=float(rng.uniform(0.9, 1.0)) if sex == "woman" else float(rng.uniform(0.0, 0.1)),
                    age=float(rng.uniform(*AGE_GROUPS[age_group])), weight=float(rng.uniform(*BUILDS[build])),
                    muscle=float(rng.uniform(0.3, 0.5) if build == "heavy" else rng.uniform(0.35, 0.7)),
                    proportions=float(rng.uniform(0.3, 0.7)))
        ap = Appearance(skin=_pick(rng, SKIN_TONES), shirt=_pick(rng, SHIRTS), trousers=_pick(rng, TROUSERS),
                        shoes=_pick(rng, [(235, 235, 235), (40, 40, 45), (200, 60, 60)]), hair=_pick(rng, HAIR),
                        long_sleeves=bool(rng.random() < 0.4), barefoot=bool(rng.random() < 0.3))
        out.append(BodyPreset(f"b{i:02d}", sex, age_group, build, round(float(height), 3), phen, ap))
    return out


def room_presets(n: int = 24, seed: int = 7002) -> list[RoomPreset]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        look = Look(light=float(rng.uniform(0.55, 1.2)), key_az_deg=float(rng.uniform(-50, 50)),
                    fill_rgb=_pick(rng, [(255, 255, 255), (255, 235, 210), (225, 235, 255)]),
                    floor_rgb=_pick(rng, FLOORS), wall_rgb=_pick(rng, WALLS), wall_dist_m=float(rng.uniform(1.2, 2.2)),
                    side_wall_m=float(rng.uniform(2.5, 4.5)), picture_offset_m=float(rng.uniform(-1.5, 1.5)),
                    picture_rgb=_pick(rng, [(90, 120, 100), (160, 150, 90), (70, 90, 140)]),
                    mat_rgb=_pick(rng, MATS), room_seed=int(rng.integers(1 << 16)))
        out.append(RoomPreset(f"r{i:02d}", look))
    return out


@dataclass(frozen=True)
class CameraPlan:
    """Where the laptop's camera stands, relative to the exercise's spec view."""

    view: str                 # the spec's view: side / front
    height_class: str         # floor / chair / desk
    height_m: float
    azimuth_deg: float        # turn about the vertical through the body, from the spec view direction
    side_sign: float          # side views: +1 camera on the person's left, -1 on the right
    distance_m: float         # wanted horizontal distance; the renderer moves back until the body fits
    roll_deg: float
    mirrored: bool            # selfie picture: image flipped left-right
    supported: bool = True    # False: a view the spec does not support (camera_off clips)

    def summary(self) -> dict:
        return dict(view=self.view, height_class=self.height_class, height_m=round(self.height_m, 3),
                    azimuth_deg=round(self.azimuth_deg, 1), side_sign=self.side_sign,
                    distance_m=round(self.distance_m, 2), roll_deg=round(self.roll_deg, 1),
                    mirrored=self.mirrored, supported=self.supported)


def draw_fps(rng: np.random.Generator) -> int:
    """~70 % at 10-15 fps, the rest at 24-30."""
    return int(rng.choice(FPS_CHOICES[:3])) if rng.random() < 0.7 else int(rng.choice(FPS_CHOICES[3:]))


def draw_camera(rng: np.random.Generator, view: str, off_axis: str | None = None, height_class: str | None = None) -> CameraPlan:
    """A laptop camera for an exercise filmed from ``view``. off_axis ("head_end", "either_end",
    "side"): a camera_off clip, 60-90 deg away from the supported view."""
    hc = height_class or str(rng.choice(list(CAMERA_HEIGHTS)))
    h = float(rng.uniform(*CAMERA_HEIGHTS[hc]))
    side_sign = float(rng.choice([1.0, -1.0]))
    if off_axis is None:
        az = float(rng.uniform(-30, 30))
    else:
        mag = float(rng.uniform(60, 90))
        # side views: +az turns a camera on the person's left (+X) towards +Y, which is the head
        # end for a supine body (head towards +Y)
        sign = side_sign if off_axis == "head_end" else float(rng.choice([1.0, -1.0]))
        az = sign * mag
    return CameraPlan(view=view, height_class=hc, height_m=h, azimuth_deg=az, side_sign=side_sign,
                      distance_m=float(rng.uniform(*DIST_RANGE_M)), roll_deg=float(rng.uniform(-4, 4)),
                      mirrored=bool(rng.random() < MIRRORED_SHARE), supported=off_axis is None)


def draw_sensor(rng: np.random.Generator) -> Sensor:
    return Sensor(noise_sigma=float(rng.uniform(0.8, 2.5)), blur_px=float(rng.uniform(0.0, 1.2)),
                  jpeg_quality=int(rng.integers(35, 85)), gamma=float(rng.uniform(0.85, 1.15)),
                  white_balance=tuple(float(x) for x in rng.uniform(0.92, 1.08, 3)))


def corpus_variation(seed: int, body: BodyPreset, room: RoomPreset, camera: CameraPlan, sensor: Sensor) -> "Variation":
    return Variation(mode="corpus", seed=seed, phenotype=dict(body.phenotype), appearance=body.appearance,
                     look=room.look, camera=CameraJitter(side_sign=camera.side_sign), sensor=sensor,
                     camera_plan=camera, body=body, room_id=room.id)
