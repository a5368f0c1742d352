"""Spinal flexion for cat-cow: how rounded the back is, from the segmentation mask's
upper contour or the nose's height."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from coach.pose import Landmark, PoseFrame
from coach.measures.base import MIN_VIS_PARAM, BaseMeasure, ParamSpec
from coach.measures.points import NAN, REF_NOSE, FrameView, resolve_point, view_of


# --------------------------------------------------------------------------------------
# Spinal flexion (cat-cow)
# --------------------------------------------------------------------------------------


class SpinalFlexion(BaseMeasure):
    """How rounded the back is (cat-cow), in units of the near shoulder–hip length.

    signal "mask": median height of the segmentation mask's upper contour above the near
    shoulder→hip line, measured perpendicular to the line over its middle 70 %, divided by
    the line's length (10 real photos: 0.41-0.53 in cat, 0.08-0.23 in cow).
    signal "nose": height of the nose above the near shoulder (screen up, vertical), divided
    by the same length (negative in every cat, positive in every cow on those photos).
    The two signals have DIFFERENT scales: rules must be written for the signal they get.
    "auto" uses the mask when there is one and it covers the back, else the nose;
    ``last_signal`` says which one produced the latest value ("mask", "nose" or "").
    """

    TYPE = "spinal_flexion"
    UNIT = "body"
    PARAMS = {
        "signal": ParamSpec(
            "enum", False, "auto", ("auto", "mask", "nose"),
            "mask contour, nose height, or auto (mask if present, else nose)",
        ),
        "mask_threshold": ParamSpec(
            "number", False, 0.5, None, "mask value above which a pixel is the person", low=0.0, high=1.0
        ),
        "min_visibility": MIN_VIS_PARAM,
    }
    N_COLUMNS = 24  # about this many mask columns are sampled between shoulder and hip

    def __init__(self, name: str, params: dict[str, Any], side: str | None) -> None:
        super().__init__(name, params, side)
        self.signal = params["signal"]
        self.threshold = params["mask_threshold"]
        self.shoulder = resolve_point("near_shoulder", side)
        self.hip = resolve_point("near_hip", side)
        extra = self.shoulder.indices + self.hip.indices
        if self.signal != "mask":
            extra += (int(Landmark.NOSE),)
        self.landmarks = extra
        self.last_signal = ""

    def update(self, frame: PoseFrame, values: Mapping[str, float]) -> float:
        self.last_signal = ""
        f = view_of(frame)
        mv = self.min_vis
        s, h = f.px(self.shoulder, mv), f.px(self.hip, mv)
        if s is None or h is None:
            return NAN
        length = math.hypot(h[0] - s[0], h[1] - s[1])
        if length == 0:
            return NAN
        if self.signal != "nose" and frame.mask is not None:
            v = self._from_mask(frame.mask, f, s, h, length)
            if v == v:
                self.last_signal = "mask"
                return v
        if self.signal == "mask":
            return NAN
        nose = f.px(REF_NOSE, mv)
        if nose is None:
            return NAN
        self.last_signal = "nose"
        return (s[1] - nose[1]) / length

    def _from_mask(
        self, mask: np.ndarray, f: FrameView, s: tuple[float, float], h: tuple[float, float], length: float
    ) -> float:
        if mask.ndim != 2 or mask.shape[0] < 2 or mask.shape[1] < 2:
            return NAN
        mh, mw = mask.shape
        kx, ky = mw / f.w, mh / f.h  # image px -> mask px
        dx, dy = h[0] - s[0], h[1] - s[1]
        # unit normal pointing up on screen (negative y)
        nx, ny = dy / length, -dx / length
        if ny > 0:
            nx, ny = -nx, -ny
        if ny == 0:
            return NAN
        # evenly spaced mask columns over the middle 70 % of the line (a strided view, no copy)
        xa, xb = (s[0] + 0.15 * dx) * kx, (s[0] + 0.85 * dx) * kx
        lo, hi = max(0, int(min(xa, xb))), min(mw - 1, int(max(xa, xb)))
        if hi - lo < 2:
            return NAN
        step = max(1, (hi - lo) // (self.N_COLUMNS - 1))
        # rows to search: from 1.2 line-lengths above the line down to a quarter below it
        top = int(max(0.0, (min(s[1], h[1]) - 1.2 * length) * ky))
        bottom = int(min(float(mh), (max(s[1], h[1]) + 0.25 * length) * ky + 1))
        if bottom - top < 2:
            return NAN
        block = mask[top:bottom, lo : hi + 1 : step] > self.threshold
        rows = block.argmax(axis=0)
        # rows == 0: column empty, or the person already fills the top of the search window
        # (head, raised arm): not the back, dropped
        found = rows > 0
        n_found = int(np.count_nonzero(found))
        if n_found < (block.shape[1] + 1) // 2:
            return NAN
        ys = (rows[found] + (top + 0.5)) / ky
        xc = (np.arange(lo, hi + 1, step)[found] + 0.5) / kx
        # signed height above the line (along the upward normal), median
        heights = np.sort((xc - s[0]) * nx + (ys - s[1]) * ny)
        median = 0.5 * (heights[(n_found - 1) // 2] + heights[n_found // 2])
        return float(median) / length
