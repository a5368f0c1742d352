"""The one pose type: PoseFrame (one frame) and PoseClip (a run of frames as arrays).

Image landmarks are stored normalised (x, y in [0, 1] of image width / height) as the
model gives them; angles and distances in the image plane must be computed on pixel
coordinates (``xy_px``), otherwise a 640x480 image distorts every angle.
A frame with no person has ``detected == False`` and all landmark values NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

N_LANDMARKS = 33

# Columns of PoseFrame.landmarks
X, Y, Z, VIS, PRES = range(5)


class Landmark(IntEnum):
    """BlazePose landmark indices (odd = left, even = right, from the person's view)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @property
    def key(self) -> str:
        """Lower-case name used in specs, e.g. ``left_shoulder``."""
        return self.name.lower()

    def mirrored(self) -> "Landmark":
        """The same landmark on the other side of the body (NOSE stays NOSE)."""
        name = self.name
        if name.startswith("LEFT_"):
            return Landmark["RIGHT_" + name[5:]]
        if name.startswith("RIGHT_"):
            return Landmark["LEFT_" + name[6:]]
        if name == "MOUTH_LEFT":
            return Landmark.MOUTH_RIGHT
        if name == "MOUTH_RIGHT":
            return Landmark.MOUTH_LEFT
        return self


# Bones drawn as the skeleton (pairs of landmark indices).
_L = Landmark
SKELETON_EDGES: tuple[tuple[int, int], ...] = tuple((int(a), int(b)) for a, b in (
    # arms and shoulders
    (_L.LEFT_SHOULDER, _L.RIGHT_SHOULDER), (_L.LEFT_SHOULDER, _L.LEFT_ELBOW), (_L.LEFT_ELBOW, _L.LEFT_WRIST),
    (_L.RIGHT_SHOULDER, _L.RIGHT_ELBOW), (_L.RIGHT_ELBOW, _L.RIGHT_WRIST),
    # trunk
    (_L.LEFT_SHOULDER, _L.LEFT_HIP), (_L.RIGHT_SHOULDER, _L.RIGHT_HIP), (_L.LEFT_HIP, _L.RIGHT_HIP),
    # legs
    (_L.LEFT_HIP, _L.LEFT_KNEE), (_L.LEFT_KNEE, _L.LEFT_ANKLE), (_L.LEFT_ANKLE, _L.LEFT_HEEL),
    (_L.LEFT_HEEL, _L.LEFT_FOOT_INDEX), (_L.LEFT_ANKLE, _L.LEFT_FOOT_INDEX),
    (_L.RIGHT_HIP, _L.RIGHT_KNEE), (_L.RIGHT_KNEE, _L.RIGHT_ANKLE), (_L.RIGHT_ANKLE, _L.RIGHT_HEEL),
    (_L.RIGHT_HEEL, _L.RIGHT_FOOT_INDEX), (_L.RIGHT_ANKLE, _L.RIGHT_FOOT_INDEX),
    # head and hands
    (_L.NOSE, _L.LEFT_EAR), (_L.NOSE, _L.RIGHT_EAR), (_L.LEFT_WRIST, _L.LEFT_INDEX), (_L.RIGHT_WRIST, _L.RIGHT_INDEX),
))


def _empty_landmarks() -> np.ndarray:
    return np.full((N_LANDMARKS, 5), np.nan, dtype=np.float64)


def _empty_world() -> np.ndarray:
    return np.full((N_LANDMARKS, 3), np.nan, dtype=np.float64)


@dataclass(slots=True)
class PoseFrame:
    """One frame's pose.

    timestamp_ms: capture time of the frame (video position or camera clock), ms.
    landmarks:    (33, 5) float64: x, y normalised to image width/height; z (relative
                  depth, same scale as x); visibility; presence. NaN when no person.
    world:        (33, 3) float64 metres, hip-centred, camera-aligned (y down).
    image_wh:     (width, height) of the analysed image in pixels.
    mask:         optional (h, w) float32 segmentation mask in [0, 1] (any resolution;
                  it covers the whole image).
    people:       how many people the estimator found in the picture (0 when nobody; 1 for
                  frames from sources that do not count, e.g. older recordings).
    people_overlap: another person overlaps this skeleton (their boxes intersect
                  substantially, or joints of this skeleton lie on the other person): it
                  may mix two bodies, so it must not be coached ("I can see two people").
    """

    timestamp_ms: float
    landmarks: np.ndarray = field(default_factory=_empty_landmarks)
    world: np.ndarray = field(default_factory=_empty_world)
    image_wh: tuple[int, int] = (0, 0)
    mask: np.ndarray | None = None
    people: int = 1
    people_overlap: bool = False

    def __post_init__(self) -> None:
        self.landmarks = np.asarray(self.landmarks, dtype=np.float64)
        self.world = np.asarray(self.world, dtype=np.float64)
        if self.landmarks.shape != (N_LANDMARKS, 5):
            raise ValueError(f"landmarks must have shape (33, 5), got {self.landmarks.shape}")
        if self.world.shape != (N_LANDMARKS, 3):
            raise ValueError(f"world must have shape (33, 3), got {self.world.shape}")
        self.image_wh = (int(self.image_wh[0]), int(self.image_wh[1]))
        self.people = int(self.people)
        if self.people < 0:
            raise ValueError(f"people must be >= 0, got {self.people}")
        self.people_overlap = bool(self.people_overlap)

    def with_arrays(self, landmarks: np.ndarray, world: np.ndarray) -> "PoseFrame":
        """This frame with other landmark arrays (float64, of shapes (33, 5) and (33, 3): the
        smoother's output), its other fields as they are. Nothing is checked again (this
        frame's fields were when it was made): it runs on every frame."""
        f = object.__new__(PoseFrame)
        f.timestamp_ms = self.timestamp_ms
        f.landmarks = landmarks
        f.world = world
        f.image_wh = self.image_wh
        f.mask = self.mask
        f.people = self.people
        f.people_overlap = self.people_overlap
        return f

    @classmethod
    def empty(cls, timestamp_ms: float, image_wh: tuple[int, int], people: int = 0) -> "PoseFrame":
        """A frame with no skeleton to coach: nobody found (``people`` 0), or everyone found
        was rejected (``people`` says how many were found)."""
        return cls(timestamp_ms=timestamp_ms, image_wh=image_wh, people=people)

    @property
    def detected(self) -> bool:
        lm = self.landmarks
        x0 = lm.item(0, X)   # (asked several times a frame: the nose's x settles it at once)
        if x0 - x0 == 0.0:   # finite
            return True
        return bool(np.isfinite(lm[:, X]).any())

    @property
    def xy_px(self) -> np.ndarray:
        """(33, 2) image coordinates in pixels (y down)."""
        w, h = self.image_wh
        return self.landmarks[:, :2] * np.array([w, h], dtype=np.float64)

    @property
    def visibility(self) -> np.ndarray:
        return self.landmarks[:, VIS]


@dataclass(slots=True)
class PoseClip:
    """A run of PoseFrames as arrays: what a landmark recording holds.

    timestamps_ms: (T,), landmarks: (T, 33, 5), world: (T, 33, 3), image_wh per clip,
    masks: optional list of per-frame masks (None where absent), people: optional (T,) int
    number of people the estimator saw per frame (None = one in every frame).
    """

    timestamps_ms: np.ndarray
    landmarks: np.ndarray
    world: np.ndarray
    image_wh: tuple[int, int]
    masks: list[np.ndarray | None] | None = None
    meta: dict = field(default_factory=dict)
    people: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = len(self.timestamps_ms)
        if self.people is not None and np.shape(self.people) != (t,):
            raise ValueError(f"people must have shape ({t},), got {np.shape(self.people)}")
        if self.landmarks.shape != (t, N_LANDMARKS, 5):
            raise ValueError(f"landmarks must have shape ({t}, 33, 5), got {self.landmarks.shape}")
        if self.world.shape != (t, N_LANDMARKS, 3):
            raise ValueError(f"world must have shape ({t}, 33, 3), got {self.world.shape}")

    def __len__(self) -> int:
        return len(self.timestamps_ms)

    def frame(self, i: int) -> PoseFrame:
        mask = self.masks[i] if self.masks is not None else None
        # (PoseFrame.people, where PoseFrame has it: the estimator's count of people)
        extra = {}
        if _FRAME_HAS_PEOPLE:
            if self.people is not None:
                extra["people"] = int(self.people[i])
            elif not np.isfinite(self.landmarks[i][:, 0]).any():
                extra["people"] = 0   # without a people array: one person where one was seen, else nobody
        return PoseFrame(
            timestamp_ms=float(self.timestamps_ms[i]),
            landmarks=self.landmarks[i],
            world=self.world[i],
            image_wh=self.image_wh,
            mask=mask,
            **extra,
        )

    def __iter__(self):
        for i in range(len(self)):
            yield self.frame(i)

    @property
    def xy_px(self) -> np.ndarray:
        """(T, 33, 2) pixel coordinates."""
        w, h = self.image_wh
        return self.landmarks[..., :2] * np.array([w, h], dtype=np.float64)

    @classmethod
    def from_frames(cls, frames: list[PoseFrame], meta: dict | None = None) -> "PoseClip":
        if not frames:
            raise ValueError("a clip needs at least one frame")
        masks = [f.mask for f in frames]
        people = np.array([getattr(f, "people", 1) for f in frames], dtype=np.int8)
        return cls(
            timestamps_ms=np.array([f.timestamp_ms for f in frames], dtype=np.float64),
            landmarks=np.stack([f.landmarks for f in frames]),
            world=np.stack([f.world for f in frames]),
            image_wh=frames[0].image_wh,
            masks=masks if any(m is not None for m in masks) else None,
            meta=dict(meta or {}),
            people=people if np.any(people != 1) else None,
        )


_FRAME_HAS_PEOPLE = "people" in PoseFrame.__dataclass_fields__
