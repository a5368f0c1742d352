"""Drawing the coach's overlay on camera frames (BGR uint8 numpy images).

Annotators follow supervision's pattern: a small class whose ``__init__`` holds only
style, with one method ``annotate(scene, data) -> scene`` that draws in place and returns
the scene. State (holds, reps, rule states) is kept elsewhere; annotators take plain
dataclasses defined here (``OverlayState`` and friends), which the session fills from the
engine's snapshot.

Text is drawn with Pillow and the bundled DejaVu Sans (``coach/ui/fonts``): OpenCV's
Hershey fonts print "?" for æ, ø, å. Pillow renders each distinct text once into an
anti-aliased coverage mask (cached); drawing is then an OpenCV blend of that mask into
the region under the text, so a full overlay costs ≈ 6 ms a frame at 1280x720.

Pieces: ``draw_text`` / ``TextAnnotator``; ``SkeletonAnnotator`` (PoseFrame);
``CueBanner`` (CueView), ``HoldRing`` (HoldView), ``RepCounter`` (RepView),
``StatusPanel`` (OverlayState), ``AngleArc`` (ArcView), ``PromptScreen`` (PromptView);
``OverlayAnnotator`` draws all of them from one ``OverlayState`` (with ``mirror``).

Sizes are fractions of the image height, chosen to be readable at 2–3 m on a laptop
screen: the cue's em size is 7.5 % of the height (≈ 54 px at 720 p, capital letters
≈ 11 mm tall on a 15" screen, ≈ 13 arc-minutes at 3 m), panel text 4.2 %.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from collections.abc import Callable
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from coach import i18n
from coach.i18n.numbers import bound_text, number, value_text
from coach.i18n.units import bounds_text, unit_suffix, with_unit
from coach.pose import SKELETON_EDGES, Landmark, PoseFrame

Color = tuple[int, int, int]  # BGR

WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GREEN: Color = (90, 200, 40)
AMBER: Color = (0, 180, 255)
RED: Color = (60, 50, 235)
GREY: Color = (150, 150, 150)
CYAN: Color = (230, 200, 60)

RuleStateName = Literal["ok", "warning", "fault", "cant_see", "idle"]
# "idle": the rule judges nothing at the moment (its hold has not started, it is learning
# the start-of-hold value, or another rule it depends on is not met): no tick, no number.
RULE_STATES: tuple[str, ...] = ("ok", "warning", "fault", "cant_see", "idle")
STATE_COLORS: dict[str, Color] = {"ok": GREEN, "warning": AMBER, "fault": RED, "cant_see": GREY, "idle": GREY}
# A symbol next to each colour, so the state does not rest on colour alone.
STATE_SYMBOLS: dict[str, str] = {"ok": "✓", "warning": "!", "fault": "✗", "cant_see": "?", "idle": "–"}
HOLD_STATES: tuple[str, ...] = ("waiting", "holding", "paused", "done")

CUE_SEVERITIES: tuple[str, ...] = ("safety", "setup", "form", "pace", "count", "info")
SEVERITY_COLORS: dict[str, Color] = {
    "safety": RED, "setup": CYAN, "form": AMBER, "pace": AMBER, "count": GREEN, "info": GREY,
}

# Text sizes (em) as fractions of the image height.
CUE_SIZE_REL = 0.075
PANEL_SIZE_REL = 0.042
SMALL_SIZE_REL = 0.034
MARGIN_REL = 0.02
# Text boxes are darkened until their mean luminance is at most this (0..255), so white
# and coloured text keep their contrast over a bright wall or window.
BOX_MAX_LUMA = 60.0

_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}


def _check_rel(name: str, value: float, high: float = 1.0) -> float:
    """Validate a size given as a fraction of the image (0 < value < high)."""
    if not 0.0 < float(value) < high:
        raise ValueError(f"{name} must be in (0, {high:g}), got {value}")
    return float(value)


# --------------------------------------------------------------------------- fonts / text
@lru_cache(maxsize=2)
def _font_bytes(bold: bool) -> bytes:
    return resources.files("coach.ui").joinpath("fonts", _FONT_FILES[bold]).read_bytes()


@lru_cache(maxsize=64)
def load_font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The bundled DejaVu Sans at ``size_px`` (em size in pixels), cached."""
    if size_px < 1:
        raise ValueError(f"size_px must be >= 1, got {size_px}")
    return ImageFont.truetype(io.BytesIO(_font_bytes(bold)), size=int(size_px))


@lru_cache(maxsize=256)
def text_width_px(text: str, size_px: int, bold: bool = False) -> float:
    """Advance width of one line of ``text`` in pixels (cached)."""
    return float(load_font(size_px, bold).getlength(text))


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width_px: float) -> list[str]:
    """Split ``text`` into lines no wider than ``max_width_px`` (breaking at spaces;
    a single word wider than the limit gets its own line)."""
    return list(_wrap_text(text, font, float(max_width_px)))


@lru_cache(maxsize=256)
def _wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width_px: float) -> tuple[str, ...]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        line = ""
        for word in words:
            trial = word if not line else f"{line} {word}"
            if line and font.getlength(trial) > max_width_px:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return tuple(lines)


def text_size(text: str, size_px: int, bold: bool = False, line_spacing: float = 1.15) -> tuple[int, int]:
    """(width, height) in pixels of ``text`` (may contain newlines) without padding."""
    font = load_font(size_px, bold)
    lines = text.split("\n")
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    width = max((font.getlength(line) for line in lines), default=0.0)
    height = line_h + int(round((len(lines) - 1) * line_h * line_spacing))
    return int(math.ceil(width)), int(height)


@lru_cache(maxsize=128)
def _rounded_mask(w: int, h: int, radius_px: int) -> np.ndarray:
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).rounded_rectangle((0, 0, w - 1, h - 1), radius=radius_px, fill=255)
    return np.asarray(img, dtype=np.uint8)


def _composite(roi: np.ndarray, mask: np.ndarray, color: Color, alpha: float = 1.0) -> None:
    """roi = roi * (1 - m) + color * m with m = mask / 255 * alpha (uint8, in place)."""
    m3 = cv2.cvtColor(np.ascontiguousarray(mask), cv2.COLOR_GRAY2BGR)
    if alpha < 1.0:
        m3 = cv2.convertScaleAbs(m3, alpha=float(alpha))
    keep = cv2.multiply(roi, cv2.bitwise_not(m3), scale=1.0 / 255.0)
    ink = cv2.multiply(np.full_like(roi, color), m3, scale=1.0 / 255.0)
    cv2.add(keep, ink, dst=roi)


def _blend_box(scene: np.ndarray, xyxy: tuple[int, int, int, int], color: Color, alpha: float,
               radius_px: int = 0, max_luma: float | None = BOX_MAX_LUMA) -> None:
    """Blend a (rounded) filled box into ``scene`` in place. With ``max_luma`` the
    opacity rises as needed so the box's mean luminance stays at most ``max_luma``."""
    h, w = scene.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in xyxy)
    x0c, y0c, x1c, y1c = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1c <= x0c or y1c <= y0c or alpha <= 0:
        return
    roi = scene[y0c:y1c, x0c:x1c]
    if max_luma is not None:  # darken more over bright backgrounds so text keeps contrast
        b, g, r = cv2.mean(roi)[:3]
        luma = 0.114 * b + 0.587 * g + 0.299 * r
        col_luma = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
        if luma > max_luma > col_luma:
            alpha = min(1.0, max(alpha, (luma - max_luma) / (luma - col_luma)))
    if radius_px > 0:
        mask = _rounded_mask(x1 - x0, y1 - y0, int(radius_px))[y0c - y0:y1c - y0, x0c - x0:x1c - x0]
        _composite(roi, mask, color, alpha)
    else:
        cv2.addWeighted(roi, 1.0 - alpha, np.full_like(roi, color), alpha, 0.0, dst=roi)


@lru_cache(maxsize=512)
def _text_mask(text: str, size_px: int, bold: bool, max_width_px: float | None,
               align: str, line_spacing: float) -> np.ndarray:
    """Anti-aliased coverage (uint8, 0..255) of ``text`` rendered by Pillow; cached, so
    text that stays the same from frame to frame costs only the compositing."""
    font = load_font(size_px, bold)
    lines = wrap_text(text, font, max_width_px) if max_width_px else text.split("\n")
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    step = int(round(line_h * line_spacing))
    widths = [font.getlength(line) for line in lines]
    text_w = max(1, int(math.ceil(max(widths, default=0.0))))
    text_h = line_h + step * (len(lines) - 1)
    img = Image.new("L", (text_w, text_h), 0)
    draw = ImageDraw.Draw(img)
    for i, (line, lw) in enumerate(zip(lines, widths)):
        lx = {"center": (text_w - lw) / 2, "right": text_w - lw}.get(align, 0.0)
        draw.text((lx, i * step), line, font=font, fill=255, anchor="la")
    mask = np.asarray(img, dtype=np.uint8)
    mask.setflags(write=False)
    return mask


def draw_text(
    scene: np.ndarray,
    text: str,
    xy: tuple[float, float],
    size_px: int,
    color: Color = WHITE,
    background: Color | None = BLACK,
    background_alpha: float = 0.62,
    *,
    bold: bool = False,
    anchor: str = "lt",
    padding_px: int | None = None,
    max_width_px: float | None = None,
    align: Literal["left", "center", "right"] = "left",
    line_spacing: float = 1.15,
) -> tuple[int, int, int, int]:
    """Draw anti-aliased Unicode ``text`` on ``scene`` (BGR, in place) with the bundled font.

    ``xy`` is the point where the box's ``anchor`` sits: two letters, horizontal
    ``l``/``m``/``r`` then vertical ``t``/``m``/``b`` (``"mb"`` = bottom centre).
    The box (text + padding, translucent ``background``) is kept inside the image.
    ``max_width_px`` wraps the text at spaces. Returns the box as ``(x0, y0, x1, y1)``.
    """
    if len(anchor) != 2 or anchor[0] not in "lmr" or anchor[1] not in "tmb":
        raise ValueError(f"anchor must be two letters from 'lmr' then 'tmb', got {anchor!r}")
    if align not in ("left", "center", "right"):
        raise ValueError(f"align must be one of ['left', 'center', 'right'], got {align!r}")
    size_px = max(1, int(size_px))
    h, w = scene.shape[:2]
    mask = _text_mask(text, size_px, bold, float(max_width_px) if max_width_px else None,
                      align, float(line_spacing))
    pad = int(round(size_px * 0.3)) if padding_px is None else int(padding_px)
    text_h, text_w = mask.shape
    box_w, box_h = text_w + 2 * pad, text_h + 2 * pad

    x, y = float(xy[0]), float(xy[1])
    x0f = {"l": x, "m": x - box_w / 2, "r": x - box_w}[anchor[0]]
    y0f = {"t": y, "m": y - box_h / 2, "b": y - box_h}[anchor[1]]
    x0 = int(round(min(max(x0f, 0), max(w - box_w, 0))))
    y0 = int(round(min(max(y0f, 0), max(h - box_h, 0))))
    x1, y1 = x0 + box_w, y0 + box_h

    if background is not None:
        _blend_box(scene, (x0, y0, x1, y1), background, background_alpha,
                   radius_px=max(2, pad // 2))
    tx0, ty0 = x0 + pad, y0 + pad
    cx0, cy0 = max(0, tx0), max(0, ty0)
    cx1, cy1 = min(w, tx0 + text_w), min(h, ty0 + text_h)
    if cx1 > cx0 and cy1 > cy0:
        _composite(scene[cy0:cy1, cx0:cx1], mask[cy0 - ty0:cy1 - ty0, cx0 - tx0:cx1 - tx0], color)
    return (x0, y0, x1, y1)


@dataclass(slots=True)
class TextLabel:
    """A piece of text and where it goes (pixels; see ``draw_text`` for ``anchor``)."""

    text: str
    xy_px: tuple[float, float]
    anchor: str = "lt"


class TextAnnotator:
    """Draws a ``TextLabel`` with a translucent box.

    ``size_rel``: em size as a fraction of the image height (used when ``size_px`` is None).
    """

    def __init__(self, color: Color = WHITE, background: Color | None = BLACK,
                 background_alpha: float = 0.62, size_px: int | None = None,
                 size_rel: float = PANEL_SIZE_REL, bold: bool = False,
                 max_width_rel: float | None = None) -> None:
        if size_px is not None and size_px < 1:
            raise ValueError(f"size_px must be >= 1, got {size_px}")
        if not 0.0 < size_rel < 1.0:
            raise ValueError(f"size_rel must be in (0, 1), got {size_rel}")
        if not 0.0 <= background_alpha <= 1.0:
            raise ValueError(f"background_alpha must be in [0, 1], got {background_alpha}")
        self.color = color
        self.background = background
        self.background_alpha = background_alpha
        self.size_px = size_px
        self.size_rel = size_rel
        self.bold = bold
        self.max_width_rel = max_width_rel

    def annotate(self, scene: np.ndarray, data: TextLabel | tuple[str, tuple[float, float]]) -> np.ndarray:
        label = data if isinstance(data, TextLabel) else TextLabel(data[0], data[1])
        h, w = scene.shape[:2]
        size = self.size_px or max(8, int(round(h * self.size_rel)))
        draw_text(scene, label.text, label.xy_px, size, self.color, self.background,
                  self.background_alpha, bold=self.bold, anchor=label.anchor,
                  max_width_px=w * self.max_width_rel if self.max_width_rel else None)
        return scene


# --------------------------------------------------------------------------- skeleton
def _thickness_for(scene: np.ndarray) -> int:
    return max(2, int(round(scene.shape[0] / 180)))


def landmarks_to_scene_px(frame: PoseFrame, scene_wh: tuple[int, int], mirror: bool = False) -> np.ndarray:
    """(33, 2) landmark positions in the pixels of a scene of size ``scene_wh``
    (the scene may be a resized / mirrored view of the analysed image)."""
    w, h = scene_wh
    xy = frame.landmarks[:, :2].copy()
    if mirror:
        xy[:, 0] = 1.0 - xy[:, 0]
    return xy * np.array([w, h], dtype=np.float64)


class SkeletonAnnotator:
    """Bones (``SKELETON_EDGES``) and joints, only where visibility >= ``min_visibility``.

    ``thickness_px=None`` scales with the image (height / 180). Bones get a dark outline
    so they read on light and dark backgrounds. ``mirror`` flips x (use it when the scene
    was mirrored after pose estimation).
    """

    def __init__(self, color: Color = WHITE, thickness_px: int | None = None,
                 min_visibility: float = 0.5, joint_color: Color | None = CYAN,
                 outline_color: Color | None = BLACK, mirror: bool = False) -> None:
        if thickness_px is not None and thickness_px < 1:
            raise ValueError(f"thickness_px must be >= 1, got {thickness_px}")
        if not 0.0 <= min_visibility <= 1.0:
            raise ValueError(f"min_visibility must be in [0, 1], got {min_visibility}")
        self.color = color
        self.thickness_px = thickness_px
        self.min_visibility = min_visibility
        self.joint_color = joint_color
        self.outline_color = outline_color
        self.mirror = mirror

    def annotate(self, scene: np.ndarray, frame: PoseFrame | None) -> np.ndarray:
        if frame is None or not frame.detected:
            return scene
        h, w = scene.shape[:2]
        xy = landmarks_to_scene_px(frame, (w, h), self.mirror)
        vis = frame.visibility
        ok = np.isfinite(xy).all(axis=1)
        # A frame with no visibility at all (hand-made) counts every placed joint as seen.
        if np.isfinite(vis).any():
            ok &= np.nan_to_num(vis, nan=0.0) >= self.min_visibility
        t = self.thickness_px or _thickness_for(scene)
        if not ok.any():
            return scene
        pts = np.round(np.nan_to_num(xy, nan=-1.0)).astype(np.int64)
        edges = [(a, b) for a, b in SKELETON_EDGES if ok[a] and ok[b]]
        joints = sorted({i for e in SKELETON_EDGES for i in e if ok[i]})
        if self.outline_color is not None:
            for a, b in edges:
                cv2.line(scene, tuple(pts[a]), tuple(pts[b]), self.outline_color, t + 2, cv2.LINE_AA)
        for a, b in edges:
            cv2.line(scene, tuple(pts[a]), tuple(pts[b]), self.color, t, cv2.LINE_AA)
        if self.joint_color is not None:
            r = max(2, int(round(t * 1.4)))
            for i in joints:
                if self.outline_color is not None:
                    cv2.circle(scene, tuple(pts[i]), r + 1, self.outline_color, -1, cv2.LINE_AA)
                cv2.circle(scene, tuple(pts[i]), r, self.joint_color, -1, cv2.LINE_AA)
        return scene


# --------------------------------------------------------------------------- data
@dataclass(slots=True)
class RuleRow:
    """One row of the status panel: a rule's name, state and the value it judges.

    ``bounds`` = (low, high), either may be None; ``unit`` is the measure's unit code
    ("deg", "body", "s", "deg/s", "body/s", "ratio"; "°" is taken for "deg"); ``norm``
    what a body length is measured in ("torso" or "shoulder_width")."""

    label: str
    state: str = "ok"
    value: float | None = None
    bounds: tuple[float | None, float | None] = (None, None)
    unit: str = "deg"
    norm: str | None = None

    def __post_init__(self) -> None:
        if self.state not in STATE_COLORS:
            raise ValueError(f"state must be one of {list(RULE_STATES)}, got {self.state!r}")
        if self.unit == "°":
            self.unit = "deg"


@dataclass(slots=True)
class CueView:
    """The current correction cue. ``severity`` picks the accent colour."""

    text: str
    severity: str = "form"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_COLORS:
            raise ValueError(f"severity must be one of {list(CUE_SEVERITIES)}, got {self.severity!r}")


@dataclass(slots=True)
class HoldView:
    """The hold clock: seconds held, the target, and whether it runs (``holding``), waits
    for the position (``waiting``), stands still while something is corrected
    (``paused``) or is complete (``done``)."""

    hold_s: float
    target_s: float
    state: str = "holding"

    def __post_init__(self) -> None:
        if self.state not in HOLD_STATES:
            raise ValueError(f"state must be one of {list(HOLD_STATES)}, got {self.state!r}")


@dataclass(slots=True)
class RepView:
    reps: int
    target: int | None = None


@dataclass(slots=True)
class ArcView:
    """An angle at a joint and its target, in normalised image coordinates (x, y in [0, 1]).

    The drawn angle is the one at ``vertex_xy`` between the rays to ``a_xy`` and ``b_xy``;
    its target range ``target_deg`` = (low, high) is marked from the ray to ``a_xy``
    toward ``b_xy``. For a tilt against the floor pass a point level with the vertex as
    ``a_xy``.
    """

    vertex_xy: tuple[float, float]
    a_xy: tuple[float, float]
    b_xy: tuple[float, float]
    target_deg: tuple[float | None, float | None] = (None, None)
    state: str = "fault"
    label: str = ""

    @property
    def angle_deg(self) -> float:
        v = np.asarray(self.vertex_xy, float)
        a = np.asarray(self.a_xy, float) - v
        b = np.asarray(self.b_xy, float) - v
        return float(np.degrees(np.arctan2(abs(a[0] * b[1] - a[1] * b[0]), float(a @ b))))

    @classmethod
    def from_frame(cls, frame: PoseFrame, vertex: int, a: int, b: int,
                   target_deg: tuple[float | None, float | None] = (None, None),
                   state: str = "fault", label: str = "", min_visibility: float = 0.5) -> "ArcView | None":
        """Build from three landmarks of ``frame``; None if any is missing or not visible.

        The angle uses the frame's normalised coordinates scaled to pixels' aspect, so the
        drawn arc matches what the image shows."""
        lm = frame.landmarks
        idx = [int(vertex), int(a), int(b)]
        if not np.isfinite(lm[idx, :2]).all():
            return None
        vis = lm[idx, 3]
        if np.isfinite(vis).any() and (np.nan_to_num(vis, nan=0.0) < min_visibility).any():
            return None
        pts = [tuple(map(float, lm[i, :2])) for i in idx]
        return cls(pts[0], pts[1], pts[2], target_deg, state, label)


@dataclass(slots=True)
class OverlayState:
    """Everything the overlay shows, as plain data (filled from the engine's snapshot).

    ``phase`` is a phase id (``setup``, ``hold``, ``reps``, ``switch_side``, ``rest``,
    ``paused``, ``done`` ...; translated via ``phase.<id>`` when the catalogue has it);
    ``side`` is ``left``/``right``/``both``/None. ``exercise``, ``cue``,
    ``next_instruction`` and rule labels are already in the session's language.
    ``rules`` accepts ``RuleRow`` or plain ``(label, state, value, bounds)`` tuples.
    ``hold_state`` is the hold clock's state (see ``HoldView``).
    """

    phase: str = ""
    side: str | None = None
    exercise: str = ""
    hold_s: float | None = None
    hold_target_s: float | None = None
    hold_state: str = "holding"
    reps: int | None = None
    reps_target: int | None = None
    rules: list[RuleRow] = field(default_factory=list)
    cue: CueView | str | None = None
    next_instruction: str = ""
    pose: PoseFrame | None = None
    arcs: list[ArcView] = field(default_factory=list)
    muted: bool = False
    # Where the person has been over the last moments (normalised x0, y0, x1, y1): the
    # panel is placed where the body is not. None: from ``pose`` alone.
    body_box: tuple[float, float, float, float] | None = None
    head_box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        self.rules = [r if isinstance(r, RuleRow) else RuleRow(*r) for r in self.rules]
        if isinstance(self.cue, str):
            self.cue = CueView(self.cue) if self.cue else None


def format_bounds(bounds: tuple[float | None, float | None], unit: str = "°",
                  number: Callable[[float], str] | None = None, lang: str = "en") -> str:
    """``(None, 30)`` -> ``"≤ 30°"``, ``(80, 100)`` -> ``"80–100°"``, ``(None, None)`` -> ``""``
    (``unit`` is the text after the numbers; the numbers as :func:`coach.i18n.numbers.bound_text`
    writes them in ``lang``, or by ``number``)."""
    num = number or (lambda v: bound_text(v, "deg" if unit.strip() == "°" else None, lang))
    lo, hi = bounds
    if lo is not None and hi is not None:
        return f"{num(lo)}–{num(hi)}{unit}"
    if hi is not None:
        return f"≤ {num(hi)}{unit}"
    if lo is not None:
        return f"≥ {num(lo)}{unit}"
    return ""


def rule_row_tail(row: RuleRow, lang: str, short: bool = False) -> str:
    """What the panel shows with a rule's name: for a rule that needs correcting, the
    value it judges with its unit and its limits ("30,4° (≤ 30°)", "0,09 × overkroppslengde
    (-0,04 til 0,04)"); "(ser ikke)" when it cannot see; nothing for a rule in order or
    one that judges nothing now (the tick or dash says it)."""
    if row.state == "cant_see":
        return f"({_label('rule_state.cant_see', lang, 'cant see')})"
    if row.state not in ("warning", "fault") or row.value is None or not math.isfinite(row.value):
        return ""
    value = with_unit(value_text(row.value, row.unit, lang, row.bounds), row.unit, lang, row.norm, short)
    suffix = unit_suffix(row.unit, lang, row.norm, short)
    limits = bounds_text(row.bounds, row.unit, lang, row.norm, short)
    if limits and len(suffix.strip()) > 2:      # a worded unit is said once, after the value
        limits = limits[: len(limits) - len(suffix)]
    return f"{value} ({limits})" if limits else value


def rule_row_text(row: RuleRow, lang: str) -> str:
    """The whole row as text: name, value with unit, limits."""
    tail = rule_row_tail(row, lang)
    return f"{row.label}  {tail}" if tail else row.label


def _label(key: str, lang: str, fallback: str) -> str:
    return i18n.t(key, lang) if i18n.has_key(key, lang) else fallback


# --------------------------------------------------------------------------- widgets
class CueBanner:
    """The current cue, big, in a band along the bottom (wrapped to at most 2 lines)."""

    def __init__(self, size_rel: float = CUE_SIZE_REL, color: Color = WHITE,
                 background: Color = BLACK, background_alpha: float = 0.72,
                 max_lines: int = 2) -> None:
        if max_lines < 1:
            raise ValueError(f"max_lines must be >= 1, got {max_lines}")
        self.size_rel = _check_rel("size_rel", size_rel, 0.5)
        self.color = color
        self.background = background
        self.background_alpha = background_alpha
        self.max_lines = max_lines

    def layout_size_px(self, scene_h: int) -> int:
        return max(12, int(round(scene_h * self.size_rel)))

    def annotate(self, scene: np.ndarray, cue: CueView | str | None) -> np.ndarray:
        if cue is None or (isinstance(cue, str) and not cue):
            return scene
        cue = CueView(cue) if isinstance(cue, str) else cue
        h, w = scene.shape[:2]
        size = self.layout_size_px(h)
        margin = int(round(h * MARGIN_REL))
        max_w = w - 2 * margin - 2 * (size // 3) - 2 * max(4, size // 6)
        font = load_font(size, True)
        lines = wrap_text(cue.text, font, max_w)
        while len(lines) > self.max_lines and size > 12:  # shrink rather than cut words
            size = int(size * 0.88)
            font = load_font(size, True)
            lines = wrap_text(cue.text, font, max_w)
        box = draw_text(scene, "\n".join(lines), (w / 2, h - margin), size, self.color,
                        self.background, self.background_alpha, bold=True, anchor="mb",
                        padding_px=size // 3, align="center", line_spacing=1.1)
        # Accent bar in the severity colour along the box's left edge.
        x0, y0, x1, y1 = box
        bar_w = max(4, size // 6)
        color = SEVERITY_COLORS[cue.severity]
        cv2.rectangle(scene, (max(0, x0 - bar_w), y0), (x0 - 1, y1 - 1), color, -1)
        cv2.rectangle(scene, (x1, y0), (min(w, x1 + bar_w) - 1, y1 - 1), color, -1)
        return scene


def hold_arc_deg(hold_s: float, target_s: float) -> float:
    """Degrees of the hold ring filled: 360 * hold_s / target_s, clipped to [0, 360]."""
    if target_s <= 0:
        return 360.0
    return float(np.clip(hold_s / target_s, 0.0, 1.0) * 360.0)


class HoldRing:
    """A ring filling clockwise from 12 o'clock as the hold goes on, with the seconds
    left in the middle and the target under it. Sits at the top right.

    Its state shows at a glance: running (green), paused while something is corrected
    (amber arc and a pause mark instead of the seconds), done (a full green ring and ✓),
    waiting for the position (only the grey track and the target).

    ``layout(scene_wh)`` gives ``(center_px, radius_px, thickness_px)`` (tests sample it).
    """

    def __init__(self, radius_rel: float = 0.095, color: Color = GREEN, track_color: Color = (70, 70, 70),
                 done_color: Color = GREEN, paused_color: Color = AMBER, lang: str = "en") -> None:
        self.radius_rel = _check_rel("radius_rel", radius_rel, 0.5)
        self.color = color
        self.track_color = track_color
        self.done_color = done_color
        self.paused_color = paused_color
        self.lang = i18n.check_lang(lang)

    def layout(self, scene_wh: tuple[int, int]) -> tuple[tuple[int, int], int, int]:
        w, h = scene_wh
        r = max(10, int(round(h * self.radius_rel)))
        thick = max(4, int(round(r * 0.2)))
        margin = int(round(h * MARGIN_REL))
        center = (w - margin - r - thick, margin + r + thick)
        return center, r, thick

    def annotate(self, scene: np.ndarray, hold: HoldView | None) -> np.ndarray:
        if hold is None:
            return scene
        h, w = scene.shape[:2]
        (cx, cy), r, thick = self.layout((w, h))
        _blend_box(scene, (cx - r - thick, cy - r - thick, cx + r + thick + 1, cy + r + thick + 1),
                   BLACK, 0.55, radius_px=r + thick)
        cv2.circle(scene, (cx, cy), r, self.track_color, thick, cv2.LINE_AA)
        sweep = hold_arc_deg(hold.hold_s, hold.target_s)
        done = hold.state == "done" or sweep >= 360.0
        paused = hold.state == "paused" and not done
        color = self.done_color if done else self.paused_color if paused else self.color
        if done:
            cv2.circle(scene, (cx, cy), r, color, thick, cv2.LINE_AA)
        elif sweep > 0:
            # OpenCV caps thick arcs with half-discs: start and end the stroke half a
            # line width inside so the coloured part spans exactly 0..sweep degrees.
            cap_deg = math.degrees((thick / 2) / r)
            if sweep > 2 * cap_deg:
                cv2.ellipse(scene, (cx, cy), (r, r), -90.0, cap_deg, sweep - cap_deg, color, thick, cv2.LINE_AA)
            else:
                th = math.radians(sweep / 2 - 90.0)
                dot = (int(round(cx + r * math.cos(th))), int(round(cy + r * math.sin(th))))
                cv2.circle(scene, dot, max(1, int(round(sweep / 2 / cap_deg * thick / 2))), color, -1, cv2.LINE_AA)
        unit = _label("overlay.seconds_short", self.lang, "s")
        if paused:   # a pause mark: two bars where the seconds stand
            bar_w, bar_h, gap = max(3, int(r * 0.16)), int(r * 0.62), max(3, int(r * 0.16))
            top = int(cy - r * 0.08 - bar_h / 2)
            for x in (cx - gap // 2 - bar_w, cx + (gap + 1) // 2):
                cv2.rectangle(scene, (int(x), top), (int(x) + bar_w - 1, top + bar_h), color, -1, cv2.LINE_AA)
        else:
            left_s = max(0.0, hold.target_s - hold.hold_s)
            big = "✓" if done else f"{math.ceil(left_s - 1e-9):.0f}"
            draw_text(scene, big, (cx, cy - r * 0.08), int(r * 0.85), WHITE, None, bold=True, anchor="mm",
                      padding_px=0)
        draw_text(scene, f"/ {number(hold.target_s, self.lang, 0)} {unit}", (cx, cy + r * 0.55),
                  max(8, int(r * 0.3)), (210, 210, 210), None, anchor="mm", padding_px=0)
        return scene


class RepCounter:
    """"Reps 3 / 8" at the top right (under the hold ring's place)."""

    def __init__(self, size_rel: float = 0.06, lang: str = "en", y_rel: float = 0.26) -> None:
        self.size_rel = _check_rel("size_rel", size_rel, 0.5)
        self.lang = i18n.check_lang(lang)
        self.y_rel = _check_rel("y_rel", y_rel)

    def annotate(self, scene: np.ndarray, reps: RepView | None) -> np.ndarray:
        if reps is None:
            return scene
        h, w = scene.shape[:2]
        margin = int(round(h * MARGIN_REL))
        label = _label("overlay.reps", self.lang, "Reps")
        text = f"{reps.reps}" if reps.target is None else f"{reps.reps} / {reps.target}"
        small = max(8, int(round(h * SMALL_SIZE_REL)))
        big = max(10, int(round(h * self.size_rel)))
        y = int(round(h * self.y_rel))
        pad = small // 3
        lw, lh = text_size(label, small)
        nw, nh = text_size(text, big, bold=True)
        box_w, box_h = max(lw, nw) + 2 * pad, lh + nh + 2 * pad
        x1 = w - margin
        _blend_box(scene, (x1 - box_w, y, x1, y + box_h), BLACK, 0.62, radius_px=pad)
        draw_text(scene, label, (x1 - box_w / 2, y + pad), small, (220, 220, 220), None, anchor="mt", padding_px=0)
        draw_text(scene, text, (x1 - box_w / 2, y + pad + lh), big, WHITE, None, bold=True, anchor="mt",
                  padding_px=0)
        return scene


def pose_boxes(frame: PoseFrame | None, min_visibility: float = 0.5
               ) -> tuple[tuple[float, float, float, float] | None, tuple[float, float, float, float] | None]:
    """(body box, head box) of a pose in normalised image coordinates (x0, y0, x1, y1), from
    the landmarks seen well enough; None where nothing is seen."""
    if frame is None or not frame.detected:
        return None, None
    lm = frame.landmarks
    ok = np.isfinite(lm[:, :2]).all(axis=1)
    vis = lm[:, 3]
    if np.isfinite(vis).any():
        ok &= np.nan_to_num(vis, nan=0.0) >= min_visibility

    def box(idx: np.ndarray) -> tuple[float, float, float, float] | None:
        sel = idx[ok[idx]]
        if sel.size == 0:
            return None
        xy = lm[sel, :2]
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))

    return box(np.arange(len(lm))), box(np.arange(int(Landmark.RIGHT_EAR) + 1))   # the face: nose .. ears


def union_box(boxes) -> tuple[float, float, float, float] | None:
    """The smallest box holding every box given (None ones skipped)."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    a = np.asarray(boxes, dtype=np.float64)
    return (float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max()))


def _overlaps(rects: tuple[np.ndarray, ...], b) -> np.ndarray:
    """Overlap area of each of many rectangles (x0s, y0s, x1s, y1s arrays) with box ``b``."""
    if b is None:
        return np.zeros_like(rects[0])
    w = np.minimum(rects[2], b[2]) - np.maximum(rects[0], b[0])
    h = np.minimum(rects[3], b[3]) - np.maximum(rects[1], b[1])
    return np.clip(w, 0.0, None) * np.clip(h, 0.0, None)


@dataclass(slots=True)
class _Row:
    """One line of the status panel."""

    text: str
    size: int
    color: Color
    bold: bool = False
    tail: str = ""                  # kept whole (a value), drawn bold after the text
    sym: str | None = None          # the state symbol in its coloured disc
    sym_color: Color = WHITE
    indent: bool = False            # under the text of the row above (a value line)


class StatusPanel:
    """The exercise, phase · side, each rule (symbol, name, judged value with its unit,
    limits) in its state colour, and the next instruction.

    The panel goes where the person is not: of the free corners and sides of the picture
    (clear of the hold ring, the rep counter and the cue band) the one that covers least
    of the body seen over the last moments (``OverlayState.body_box``), the head weighing
    most. ``mirror``: the picture is shown mirrored (the boxes are flipped with it)."""

    HEAD_WEIGHT = 25.0
    CUE_WEIGHT = 0.35

    def __init__(self, size_rel: float = PANEL_SIZE_REL, lang: str = "en",
                 max_width_rel: float = 0.6, background_alpha: float = 0.62, mirror: bool = False) -> None:
        self.size_rel = _check_rel("size_rel", size_rel, 0.5)
        self.lang = i18n.check_lang(lang)
        self.max_width_rel = _check_rel("max_width_rel", max_width_rel, 1.0 + 1e-9)
        self.background_alpha = background_alpha
        self.mirror = mirror

    # -- layout ---------------------------------------------------------------------
    def _rows(self, scene_wh: tuple[int, int], state: OverlayState, compact: bool = False):
        """The panel's rows: the exercise, phase · side, then each rule: in order (small,
        ✓), judging nothing now (small, –), can't see (small, ?), or to be corrected (big,
        ! or ✗, with the value it judges and its limits on a line of its own). ``compact``:
        the rules in order and those judging nothing are counted on one line each."""
        w, h = scene_wh
        size = max(8, int(round(h * self.size_rel)))
        small = max(8, int(round(h * SMALL_SIZE_REL)))
        pad = size // 3
        max_w = min(w * self.max_width_rel, h * 0.82)
        sym_w = int(size * 1.2)
        rows: list[_Row] = []
        if state.exercise:
            rows.append(_Row(state.exercise, size, WHITE, bold=True))
        head = []
        if state.phase:
            head.append(_label(f"phase.{state.phase}", self.lang, state.phase))
        if state.side:
            head.append(_label(f"side.{state.side}", self.lang, state.side))
        if head:
            rows.append(_Row(" · ".join(head), size, CYAN))
        counted = {"ok": 0, "idle": 0}
        for rule in state.rules:
            sym, sym_color = STATE_SYMBOLS[rule.state], STATE_COLORS[rule.state]
            tail = rule_row_tail(rule, self.lang)
            if compact and rule.state in counted:
                counted[rule.state] += 1
            elif rule.state in ("warning", "fault"):
                rows.append(_Row(rule.label, size, WHITE, sym=sym, sym_color=sym_color))
                for line in wrap_text(tail, load_font(small, True), max_w - sym_w) if tail else ():
                    rows.append(_Row(line, small, sym_color, bold=True, indent=True))
            else:
                color = (165, 165, 165) if rule.state in ("idle", "cant_see") else (225, 225, 225)
                rows.append(_Row(rule.label, small, color, tail=f"  {tail}" if tail else "", sym=sym,
                                 sym_color=sym_color))
        others = len(state.rules) > counted["ok"] + counted["idle"]
        for st, n in counted.items():
            if n:
                key = f"overlay.rules_{st}_{'others' if others else 'all'}{'_one' if n == 1 else ''}"
                rows.append(_Row(i18n.t(key, self.lang, count=n), small,
                                 (225, 225, 225) if st == "ok" else (165, 165, 165),
                                 sym=STATE_SYMBOLS[st], sym_color=STATE_COLORS[st]))
        if state.next_instruction:
            nxt = _label("overlay.next", self.lang, "Next")
            for line in wrap_text(f"{nxt}: {state.next_instruction}", load_font(small), max_w):
                rows.append(_Row(line, small, (215, 215, 215)))
        widths, heights = [], []
        for r in rows:
            widths.append(text_width_px(r.text, r.size, r.bold) + (text_width_px(r.tail, r.size, True) if r.tail else 0.0)
                          + (sym_w if r.sym or r.indent else 0))
            a, d = load_font(r.size, r.bold).getmetrics()
            heights.append(int((a + d) * 1.12))
        box_w = int(math.ceil(min(max(widths, default=0.0), max_w))) + 2 * pad
        box_h = sum(heights) + 2 * pad
        return rows, heights, box_w, box_h, pad, sym_w

    def _place(self, scene_wh: tuple[int, int], box_w: int, box_h: int, state: OverlayState
               ) -> tuple[tuple[int, int], float, float]:
        """The best top-left corner for a panel of ``box_w`` x ``box_h``, its score, and how
        much of the person (head counted many times) it still covers, in pixels."""
        w, h = scene_wh
        margin = int(round(h * MARGIN_REL))
        body, head = state.body_box, state.head_box
        if body is None and head is None:
            body, head = pose_boxes(state.pose)
        if self.mirror:
            body, head = (None if b is None else (1.0 - b[2], b[1], 1.0 - b[0], b[3]) for b in (body, head))
        grow = 0.03 * h
        to_px = lambda b, g: None if b is None else (b[0] * w - g, b[1] * h - g, b[2] * w + g, b[3] * h + g)  # noqa: E731
        body_px, head_px = to_px(body, grow), to_px(head, 0.06 * h)
        # what else is on the picture: the hold ring / rep counter (top right), the cue (bottom)
        taken = []
        if state.hold_s is not None and state.hold_target_s is not None:
            (cx, cy), r, t = HoldRing().layout((w, h))
            taken.append((cx - r - t - margin, 0.0, float(w), float(cy + r + t + margin // 2)))
            if state.reps is not None:     # the rep counter under the ring
                taken.append((cx - r - t - margin, h * 0.26, float(w), h * 0.38))
        elif state.reps is not None:
            taken.append((w - h * 0.18 - margin, 0.0, float(w), h * 0.14))
        bottom = int(round(h * (2 * CUE_SIZE_REL * 1.16 + 0.08)))   # a two-line cue band and its margin
        cue_band = (0.0, float(h - bottom), float(w), float(h))
        # candidate places: along the left and right edges and the middle, top to bottom
        xs = sorted({margin, max(margin, (w - box_w) // 2), max(margin, w - margin - box_w)})
        y_max = max(margin, h - margin - box_h)
        ys = sorted({margin, y_max} | {int(y) for y in np.arange(margin, y_max, max(4, h * 0.04))})
        gx, gy = np.meshgrid(np.asarray(xs, np.float64), np.asarray(ys, np.float64))
        x0s, y0s = gx.ravel(), gy.ravel()
        rects = (x0s, y0s, x0s + box_w, y0s + box_h)
        # the head most, then the body and what else is drawn; the band a cue is shown in (on
        # top of the panel, now and then) less; then the nearer the top left
        person = self.HEAD_WEIGHT * _overlaps(rects, head_px) + _overlaps(rects, body_px)
        score = (person + sum(self.HEAD_WEIGHT * _overlaps(rects, t) for t in taken)
                 + self.CUE_WEIGHT * _overlaps(rects, cue_band) + 0.5 * (x0s + y0s))
        i = int(np.argmin(score))
        best, best_score, best_person = (int(x0s[i]), int(y0s[i])), float(score[i]), float(person[i])
        return best, best_score, best_person

    def _layout(self, scene_wh: tuple[int, int], state: OverlayState):
        """Rows and place: every rule on its own row, or, where that panel would still cover
        the person and the compact one covers less, the rules in order counted on one line."""
        full = self._rows(scene_wh, state)
        place = self._place(scene_wh, full[2], full[3], state)
        if place[2] > 0.04 * full[2] * full[3]:
            compact = self._rows(scene_wh, state, compact=True)
            cplace = self._place(scene_wh, compact[2], compact[3], state)
            if cplace[2] < place[2]:
                return compact, cplace[0]
        return full, place[0]

    def box_xyxy(self, scene_wh: tuple[int, int], state: OverlayState) -> tuple[int, int, int, int]:
        """Where the panel goes on a picture of ``scene_wh`` (pixels), for ``state``."""
        (_rows, _heights, box_w, box_h, _pad, _sym), (x0, y0) = self._layout(scene_wh, state)
        return (x0, y0, x0 + box_w, y0 + box_h)

    # -- drawing --------------------------------------------------------------------
    def annotate(self, scene: np.ndarray, state: OverlayState) -> np.ndarray:
        h, w = scene.shape[:2]
        (rows, heights, box_w, box_h, pad, sym_w), (x0, y0) = self._layout((w, h), state)
        if not rows:
            return scene
        _blend_box(scene, (x0, y0, x0 + box_w, y0 + box_h), BLACK, self.background_alpha, radius_px=pad)
        y = y0 + pad
        for r, lh in zip(rows, heights):
            x = x0 + pad
            text, sz = r.text, r.size
            if r.sym:
                rad = max(4, int(sz * 0.42))
                cy = y + lh // 2
                cv2.circle(scene, (x + rad, cy), rad, r.sym_color, -1, cv2.LINE_AA)
                draw_text(scene, r.sym, (x + rad, cy), int(sz * 0.7), BLACK if r.sym_color != GREY else WHITE,
                          None, bold=True, anchor="mm", padding_px=0)
            if r.sym or r.indent:
                x += sym_w
            tail_w = text_width_px(r.tail, sz, True) if r.tail else 0.0
            avail = x0 + box_w - pad - x - tail_w
            if text_width_px(text, sz, r.bold) > avail + 0.5:  # shorten the name, never the value
                while text and text_width_px(text + "…", sz, r.bold) > avail:
                    text = text[:-1]
                text += "…"
            draw_text(scene, text, (x, y), sz, r.color, None, bold=r.bold, anchor="lt", padding_px=0)
            if r.tail:
                draw_text(scene, r.tail, (x + text_width_px(text, sz, r.bold), y), sz, r.color, None,
                          bold=True, anchor="lt", padding_px=0)
            y += lh
        return scene


class AngleArc:
    """The angle being corrected: the two rays, the current angle as a thick arc in the
    state colour, the target range as a thin translucent wedge, and "42° → ≤ 30°"."""

    def __init__(self, radius_rel: float = 0.07, thickness_px: int | None = None,
                 target_color: Color = GREEN, mirror: bool = False, lang: str = "en") -> None:
        if thickness_px is not None and thickness_px < 1:
            raise ValueError(f"thickness_px must be >= 1, got {thickness_px}")
        self.lang = i18n.check_lang(lang)
        self.radius_rel = _check_rel("radius_rel", radius_rel, 0.5)
        self.thickness_px = thickness_px
        self.target_color = target_color
        self.mirror = mirror

    def annotate(self, scene: np.ndarray, arc: ArcView | None) -> np.ndarray:
        if arc is None:
            return scene
        h, w = scene.shape[:2]

        def px(p: tuple[float, float]) -> np.ndarray:
            x = 1.0 - p[0] if self.mirror else p[0]
            return np.array([x * w, p[1] * h], dtype=np.float64)

        v, a, b = px(arc.vertex_xy), px(arc.a_xy), px(arc.b_xy)
        if not (np.isfinite(v).all() and np.isfinite(a).all() and np.isfinite(b).all()):
            return scene
        da, db = a - v, b - v
        if np.linalg.norm(da) < 1 or np.linalg.norm(db) < 1:
            return scene
        ang_a = math.degrees(math.atan2(da[1], da[0]))  # OpenCV: y down, clockwise positive
        ang_b = math.degrees(math.atan2(db[1], db[0]))
        delta = (ang_b - ang_a + 540.0) % 360.0 - 180.0  # signed, |delta| <= 180
        direction = 1.0 if delta >= 0 else -1.0
        r = max(12, int(round(h * self.radius_rel)))
        t = self.thickness_px or max(3, int(round(h / 150)))
        color = STATE_COLORS.get(arc.state, AMBER)
        vi = (int(round(v[0])), int(round(v[1])))

        lo, hi = arc.target_deg
        if lo is not None or hi is not None:
            lo_d = 0.0 if lo is None else float(lo)
            hi_d = 180.0 if hi is None else float(hi)
            s, e = ang_a + direction * lo_d, ang_a + direction * hi_d
            rr = int(r * 1.35)
            x0, y0 = max(0, vi[0] - rr - 2), max(0, vi[1] - rr - 2)
            x1, y1 = min(w, vi[0] + rr + 3), min(h, vi[1] + rr + 3)
            if x1 > x0 and y1 > y0:  # translucent wedge, blended in its bounding box only
                roi = scene[y0:y1, x0:x1]
                wedge = roi.copy()
                cv2.ellipse(wedge, (vi[0] - x0, vi[1] - y0), (rr, rr), 0.0, min(s, e), max(s, e),
                            self.target_color, -1, cv2.LINE_AA)
                cv2.addWeighted(wedge, 0.35, roi, 0.65, 0, dst=roi)
            edges = [e for e, given in ((lo_d, lo is not None), (hi_d, hi is not None)) if given]
            for edge in edges:
                th = math.radians(ang_a + direction * edge)
                tip = (int(round(v[0] + r * 1.5 * math.cos(th))), int(round(v[1] + r * 1.5 * math.sin(th))))
                cv2.line(scene, vi, tip, self.target_color, max(2, t // 2), cv2.LINE_AA)

        for p in (a, b):  # rays, clipped to 1.6 r
            d = p - v
            d = d / np.linalg.norm(d) * min(np.linalg.norm(d), r * 1.6)
            cv2.line(scene, vi, (int(round(v[0] + d[0])), int(round(v[1] + d[1]))), WHITE, max(2, t // 2), cv2.LINE_AA)
        cv2.ellipse(scene, vi, (r, r), 0.0, min(ang_a, ang_a + delta), max(ang_a, ang_a + delta),
                    color, t, cv2.LINE_AA)

        text = f"{value_text(arc.angle_deg, 'deg', self.lang, arc.target_deg)}°"
        target = bounds_text(arc.target_deg, "deg", self.lang)
        if target:
            text += f" → {target}"
        if arc.label:
            text = f"{arc.label} {text}"
        # Put the label on the side opposite the bisector so it does not hide the arc.
        bis = math.radians(ang_a + delta / 2)
        lx = v[0] - math.cos(bis) * r * 1.2
        ly = v[1] - math.sin(bis) * r * 1.2
        anchor = ("r" if math.cos(bis) > 0.3 else "l" if math.cos(bis) < -0.3 else "m") + (
            "b" if math.sin(bis) > 0.3 else "t" if math.sin(bis) < -0.3 else "m")
        draw_text(scene, text, (lx, ly), max(10, int(round(h * SMALL_SIZE_REL))), color if arc.state != "ok" else WHITE,
                  BLACK, 0.65, bold=True, anchor=anchor)
        return scene


@dataclass(slots=True)
class PromptView:
    """A full-screen prompt: camera placement, a screening or symptom question, "I can't
    see your feet – move back". ``hint`` is the key line ("Press Y for yes or N for no")."""

    title: str
    body: str = ""
    hint: str = ""
    severity: str = "info"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_COLORS:
            raise ValueError(f"severity must be one of {list(CUE_SEVERITIES)}, got {self.severity!r}")


class PromptScreen:
    """Dims the camera image and centres a big title, a wrapped body and a hint line."""

    def __init__(self, dim_alpha: float = 0.7, title_rel: float = 0.085, body_rel: float = 0.055,
                 hint_rel: float = 0.042, max_width_rel: float = 0.86) -> None:
        if not 0.0 <= dim_alpha <= 1.0:
            raise ValueError(f"dim_alpha must be in [0, 1], got {dim_alpha}")
        self.dim_alpha = dim_alpha
        self.title_rel = _check_rel("title_rel", title_rel, 0.5)
        self.body_rel = _check_rel("body_rel", body_rel, 0.5)
        self.hint_rel = _check_rel("hint_rel", hint_rel, 0.5)
        self.max_width_rel = _check_rel("max_width_rel", max_width_rel, 1.0 + 1e-9)

    def annotate(self, scene: np.ndarray, prompt: PromptView | None) -> np.ndarray:
        if prompt is None:
            return scene
        h, w = scene.shape[:2]
        cv2.addWeighted(scene, 1.0 - self.dim_alpha, np.zeros_like(scene), self.dim_alpha, 0.0, dst=scene)
        max_w = w * self.max_width_rel
        blocks = []  # (text, size, bold, colour)
        title_size = max(12, int(round(h * self.title_rel)))
        blocks.append((prompt.title, title_size, True, WHITE))
        if prompt.body:
            blocks.append((prompt.body, max(10, int(round(h * self.body_rel))), False, (230, 230, 230)))
        if prompt.hint:
            blocks.append((prompt.hint, max(10, int(round(h * self.hint_rel))), True, SEVERITY_COLORS["setup"]))
        laid = []
        for text, size, bold, color in blocks:
            lines = wrap_text(text, load_font(size, bold), max_w)
            tw, th = text_size("\n".join(lines), size, bold)
            laid.append(("\n".join(lines), size, bold, color, th))
        gap = int(round(h * 0.04))
        gaps = [2 * gap] + [gap] * (len(laid) - 2)  # more room under the title's accent line
        total = sum(b[4] for b in laid) + sum(gaps[:len(laid) - 1])
        y = max(0, (h - total) // 2)
        for i, (text, size, bold, color, th) in enumerate(laid):
            draw_text(scene, text, (w / 2, y), size, color, None, bold=bold, anchor="mt", padding_px=0,
                      align="center")
            if i == 0:  # accent line under the title in the prompt's colour
                lw = int(min(max_w, w * 0.25))
                yy = y + th + gap // 2
                cv2.line(scene, (w // 2 - lw // 2, yy), (w // 2 + lw // 2, yy), SEVERITY_COLORS[prompt.severity],
                         max(3, h // 160), cv2.LINE_AA)
            y += th + (gaps[i] if i < len(gaps) else gap)
        return scene


def mirror_image(scene: np.ndarray) -> np.ndarray:
    """Flip ``scene`` left-right in place (a selfie view); returns it."""
    scene[...] = cv2.flip(scene, 1)
    return scene


class OverlayAnnotator:
    """The whole overlay in one call: mirror (optional), skeleton, angle arcs, status
    panel, hold ring, rep counter, cue banner, "muted" note.

    ``mirror=True`` flips the camera image (and the skeleton / arcs with it) but draws the
    text unflipped.
    """

    def __init__(self, lang: str = "en", mirror: bool = False, min_visibility: float = 0.5) -> None:
        self.lang = i18n.check_lang(lang)
        self.mirror = mirror
        self.skeleton = SkeletonAnnotator(min_visibility=min_visibility, mirror=mirror)
        self.arc = AngleArc(mirror=mirror, lang=lang)
        self.panel = StatusPanel(lang=lang, mirror=mirror)
        self.ring = HoldRing(lang=lang)
        self.reps = RepCounter(lang=lang)
        self.reps_alone = RepCounter(lang=lang, y_rel=MARGIN_REL)
        self.cue = CueBanner()

    def annotate(self, scene: np.ndarray, state: OverlayState) -> np.ndarray:
        if self.mirror:
            mirror_image(scene)
        self.skeleton.annotate(scene, state.pose)
        for arc in state.arcs:
            self.arc.annotate(scene, arc)
        self.panel.annotate(scene, state)
        has_hold = state.hold_s is not None and state.hold_target_s is not None
        if has_hold:
            hold_state = state.hold_state if state.hold_state in HOLD_STATES else "holding"
            self.ring.annotate(scene, HoldView(float(state.hold_s), float(state.hold_target_s), hold_state))
        if state.reps is not None:
            reps = RepView(int(state.reps), state.reps_target)
            if has_hold:
                self.reps.annotate(scene, reps)
            else:
                self.reps_alone.annotate(scene, reps)
        if state.muted:  # right edge, mid height: clear of the panel, ring and cue
            h, w = scene.shape[:2]
            draw_text(scene, _label("overlay.muted", self.lang, "Muted"),
                      (w - h * MARGIN_REL, h * 0.55), max(8, int(round(h * SMALL_SIZE_REL))), (220, 220, 220),
                      BLACK, 0.6, anchor="rm")
        self.cue.annotate(scene, state.cue)  # type: ignore[arg-type]
        return scene
