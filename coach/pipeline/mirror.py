"""Turning a mirrored picture's pose back (``--mirrored``: the camera mirrors the picture,
like a selfie camera).

A mirrored picture of a person looks exactly like the mirror-image person, and the pose
model names sides by how the body looks: on a mirrored picture its "left knee" is the
person's right knee. So a mirrored camera swaps every left/right in the coach unless the
pose is turned back first: x -> 1 - x (normalised image x), every left landmark swapped
with its right twin (eyes, ears, mouth corners, limbs), world x -> -x (metres, camera-
aligned), depth z kept. The picture and the segmentation mask are flipped back too, so
the skeleton is drawn where the body is. Done right after the estimator, before smoothing:
everything downstream sees the real camera's view with the person's own sides.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from coach.pose import N_LANDMARKS, Landmark, PoseFrame

# row i of a turned-back frame is row SWAP[i] of the mirrored one
SWAP = np.array([int(Landmark(i).mirrored()) for i in range(N_LANDMARKS)], dtype=np.intp)


def unmirror(frame: PoseFrame) -> PoseFrame:
    """The pose as the real (unmirrored) camera would have seen it, sides named anatomically.
    Applying it twice gives the frame back."""
    landmarks = frame.landmarks[SWAP]  # fancy indexing: a copy
    landmarks[:, 0] = 1.0 - landmarks[:, 0]
    world = frame.world[SWAP]
    world[:, 0] = -world[:, 0]
    mask = None if frame.mask is None else np.ascontiguousarray(frame.mask[:, ::-1])
    return dataclasses.replace(frame, landmarks=landmarks, world=world, mask=mask)


def unmirror_image(rgb: np.ndarray) -> np.ndarray:
    """The picture flipped back left-right (a contiguous copy, as drawing needs)."""
    return np.ascontiguousarray(rgb[:, ::-1])
