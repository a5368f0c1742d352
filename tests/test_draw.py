"""Overlay drawing: Unicode text really drawn, skeleton where the joints are, hold ring
fraction, rule colours, mirroring, and a full 1280x720 overlay."""

from __future__ import annotations

import math
from importlib import resources

import cv2
import numpy as np
import pytest

from coach.ui.draw import (
    AMBER,
    CYAN,
    GREEN,
    RED,
    ArcView,
    AngleArc,
    CueBanner,
    CueView,
    HoldRing,
    HoldView,
    OverlayAnnotator,
    OverlayState,
    RepCounter,
    RepView,
    RuleRow,
    SkeletonAnnotator,
    StatusPanel,
    TextAnnotator,
    TextLabel,
    draw_text,
    format_bounds,
    hold_arc_deg,
    load_font,
)
from coach.pose import SKELETON_EDGES, Landmark, PoseFrame

SENTENCE = "Hold begge skuldrene nede — æøå ÆØÅ"


def _blank(w: int = 640, h: int = 360, value: int = 0) -> np.ndarray:
    return np.full((h, w, 3), value, dtype=np.uint8)


def _glyph(ch: str, size_px: int = 64) -> np.ndarray:
    scene = _blank(120, 120)
    draw_text(scene, ch, (10, 10), size_px, (255, 255, 255), None, padding_px=0)
    return scene[..., 0].astype(np.int32)


def _person(image_wh: tuple[int, int] = (640, 480), visibility: float = 0.9) -> PoseFrame:
    """A standing person, every landmark of the skeleton placed by hand."""
    lm = np.full((33, 5), np.nan)
    pts = {
        Landmark.NOSE: (0.50, 0.12), Landmark.LEFT_EAR: (0.53, 0.11), Landmark.RIGHT_EAR: (0.47, 0.11),
        Landmark.LEFT_SHOULDER: (0.60, 0.25), Landmark.RIGHT_SHOULDER: (0.40, 0.25),
        Landmark.LEFT_ELBOW: (0.66, 0.40), Landmark.RIGHT_ELBOW: (0.34, 0.40),
        Landmark.LEFT_WRIST: (0.68, 0.53), Landmark.RIGHT_WRIST: (0.32, 0.53),
        Landmark.LEFT_INDEX: (0.69, 0.57), Landmark.RIGHT_INDEX: (0.31, 0.57),
        Landmark.LEFT_HIP: (0.56, 0.55), Landmark.RIGHT_HIP: (0.44, 0.55),
        Landmark.LEFT_KNEE: (0.57, 0.72), Landmark.RIGHT_KNEE: (0.43, 0.72),
        Landmark.LEFT_ANKLE: (0.57, 0.88), Landmark.RIGHT_ANKLE: (0.43, 0.88),
        Landmark.LEFT_HEEL: (0.56, 0.91), Landmark.RIGHT_HEEL: (0.44, 0.91),
        Landmark.LEFT_FOOT_INDEX: (0.60, 0.93), Landmark.RIGHT_FOOT_INDEX: (0.40, 0.93),
    }
    for k, (x, y) in pts.items():
        lm[k] = [x, y, 0.0, visibility, visibility]
    return PoseFrame(timestamp_ms=0.0, landmarks=lm, image_wh=image_wh)


# --------------------------------------------------------------------------- text
def test_font_is_bundled_with_licence():
    fonts = resources.files("coach.ui").joinpath("fonts")
    assert fonts.joinpath("DejaVuSans.ttf").is_file()
    assert fonts.joinpath("DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in fonts.joinpath("LICENSE").read_text(encoding="utf-8")
    assert load_font(20).getname()[0] == "DejaVu Sans"
    assert load_font(20, bold=True).getname()[1] == "Bold"


@pytest.mark.parametrize("ch, lookalike", [("ø", "o"), ("æ", "a"), ("å", "a"), ("Ø", "O"), ("Æ", "A"), ("Å", "A")])
def test_norwegian_letters_are_real_glyphs(ch, lookalike):
    g = _glyph(ch)
    assert (g > 128).sum() > 50, f"{ch!r} drew no ink"
    for other in ("?", lookalike):
        diff = np.abs(g - _glyph(other)).sum() / 255
        assert diff > 40, f"{ch!r} looks like {other!r} (diff {diff:.0f} px)"


def test_sentence_with_norwegian_letters_differs_from_question_marks():
    real = _blank(1400, 120)
    fake = _blank(1400, 120)
    draw_text(real, SENTENCE, (5, 5), 48, (255, 255, 255), None)
    draw_text(fake, SENTENCE.translate(str.maketrans("æøåÆØÅ", "??????")), (5, 5), 48, (255, 255, 255), None)
    assert (real > 0).any()
    changed = np.abs(real.astype(int) - fake.astype(int)).max(axis=2) > 64
    # The difference is only at the six letters: the right part of the sentence.
    cols = np.nonzero(changed.any(axis=0))[0]
    assert changed.sum() > 300
    prefix_w = load_font(48).getlength("Hold begge skuldrene nede — ")
    assert cols.min() >= prefix_w - 2


def test_text_is_anti_aliased_and_coloured():
    scene = _blank(400, 120)
    draw_text(scene, "Øvelse", (5, 5), 60, (0, 0, 255), None)
    red = scene[..., 2]
    assert (red == 255).any()
    assert ((red > 20) & (red < 235)).sum() > 30  # soft edges, not a binary mask
    assert scene[..., 0].max() == 0 and scene[..., 1].max() == 0


def test_text_background_is_translucent_box_inside_image():
    scene = _blank(300, 200, value=100)
    box = draw_text(scene, "Hei på deg", (290, 190), 30, (255, 255, 255), (0, 0, 0), 0.5, anchor="lt")
    x0, y0, x1, y1 = box
    assert 0 <= x0 < x1 <= 300 and 0 <= y0 < y1 <= 200  # pushed back inside
    inner = scene[y0 + 2, (x0 + x1) // 2]
    assert 45 <= int(inner[0]) <= 55  # 100 * 0.5 under a 50 % black box
    assert (scene[0, 0] == 100).all()


def test_text_box_darkens_more_over_bright_background():
    scene = _blank(300, 200, value=240)
    x0, y0, x1, y1 = draw_text(scene, "Hei på deg", (10, 10), 30, (255, 255, 255), (0, 0, 0), 0.5)
    inner = int(scene[y0 + 2, (x0 + x1) // 2][0])
    assert inner <= 62  # not 120: white text stays readable on a bright wall


def test_draw_text_rejects_bad_anchor():
    with pytest.raises(ValueError, match="anchor"):
        draw_text(_blank(), "x", (0, 0), 20, anchor="xx")


def test_text_annotator_size_follows_image_height():
    small, big = _blank(640, 360), _blank(1280, 720)
    TextAnnotator(background=None).annotate(small, TextLabel("Neste øvelse", (0, 0)))
    TextAnnotator(background=None).annotate(big, ("Neste øvelse", (0, 0)))
    ink_small, ink_big = (small[..., 0] > 128).sum(), (big[..., 0] > 128).sum()
    assert 3.0 < ink_big / ink_small < 5.5  # area scales with the square of the height


def test_text_size_readable_at_three_metres():
    # The cue's capital letters must be >= 5 % of the image height (≈ 1 cm on a laptop).
    h = 720
    size = CueBanner().layout_size_px(h)
    cap_px = _glyph_height("H", size)
    assert cap_px / h >= 0.05


def _glyph_height(ch: str, size_px: int) -> int:
    scene = _blank(size_px * 2, size_px * 2)
    draw_text(scene, ch, (0, 0), size_px, (255, 255, 255), None, padding_px=0, bold=True)
    rows = np.nonzero((scene[..., 0] > 128).any(axis=1))[0]
    return int(rows.max() - rows.min() + 1)


# --------------------------------------------------------------------------- skeleton
def test_skeleton_draws_at_joints_and_on_bones():
    frame = _person()
    scene = _blank(640, 480)
    SkeletonAnnotator(color=(255, 255, 255), joint_color=CYAN).annotate(scene, frame)
    xy = np.round(np.nan_to_num(frame.xy_px)).astype(int)
    for a, b in SKELETON_EDGES:
        for i in (a, b):
            assert tuple(scene[xy[i][1], xy[i][0]]) == CYAN, f"joint {Landmark(i).name} not drawn"
        mid = (xy[a] + xy[b]) // 2
        patch = scene[mid[1] - 1:mid[1] + 2, mid[0] - 1:mid[0] + 2]
        assert patch.max() > 200, f"bone {Landmark(a).name}-{Landmark(b).name} not drawn"
    assert (scene[5, 5] == 0).all() and (scene[470, 630] == 0).all()


def test_skeleton_draws_nothing_without_a_person():
    scene = _blank(640, 480, value=30)
    out = SkeletonAnnotator().annotate(scene, PoseFrame.empty(0.0, (640, 480)))
    assert out is scene
    assert (scene == 30).all()
    SkeletonAnnotator().annotate(scene, None)
    assert (scene == 30).all()


def test_skeleton_skips_joints_that_are_not_visible():
    frame = _person()
    frame.landmarks[Landmark.LEFT_ANKLE, 3] = 0.1
    scene = _blank(640, 480)
    SkeletonAnnotator(min_visibility=0.5).annotate(scene, frame)
    x, y = np.round(frame.xy_px[Landmark.LEFT_ANKLE]).astype(int)
    assert scene[y - 2:y + 3, x - 2:x + 3].max() == 0
    x, y = np.round(frame.xy_px[Landmark.RIGHT_ANKLE]).astype(int)
    assert scene[y, x].max() > 0


def test_skeleton_scales_with_image_size():
    small, big = _blank(640, 360), _blank(1280, 720)
    SkeletonAnnotator().annotate(small, _person((640, 360)))
    SkeletonAnnotator().annotate(big, _person((1280, 720)))
    ratio = (big.max(axis=2) > 0).sum() / (small.max(axis=2) > 0).sum()
    # Bones twice as long (x2) and thicker: a fixed line width would give <= 2.
    assert 2.5 < ratio < 5.5


def test_skeleton_rejects_bad_style():
    with pytest.raises(ValueError, match="min_visibility"):
        SkeletonAnnotator(min_visibility=2.0)


# --------------------------------------------------------------------------- hold ring
def _ring_fraction(scene: np.ndarray, ring: HoldRing, color: tuple[int, int, int]) -> tuple[float, np.ndarray]:
    h, w = scene.shape[:2]
    (cx, cy), r, _ = ring.layout((w, h))
    angles = np.arange(0.5, 360.0, 1.0)  # clockwise from 12 o'clock
    th = np.radians(angles - 90.0)
    xs = np.round(cx + r * np.cos(th)).astype(int)
    ys = np.round(cy + r * np.sin(th)).astype(int)
    hit = np.all(np.abs(scene[ys, xs].astype(int) - np.array(color)) < 40, axis=1)
    return hit.mean(), hit


@pytest.mark.parametrize("hold_s, target_s", [(7.5, 30.0), (20.0, 30.0), (2.0, 5.0), (29.0, 30.0)])
def test_hold_ring_arc_fraction_matches_hold(hold_s, target_s):
    ring = HoldRing(lang="nb")
    scene = _blank(1280, 720)
    ring.annotate(scene, HoldView(hold_s, target_s))
    fraction, hit = _ring_fraction(scene, ring, GREEN)
    assert fraction == pytest.approx(hold_s / target_s, abs=0.02)
    assert hit[2] and not hit[-3]  # starts at 12 o'clock and runs clockwise


def test_hold_ring_full_when_done_and_empty_at_start():
    ring = HoldRing()
    scene = _blank(1280, 720)
    ring.annotate(scene, HoldView(0.0, 30.0))
    assert _ring_fraction(scene, ring, GREEN)[0] == 0.0
    scene = _blank(1280, 720)
    ring.annotate(scene, HoldView(45.0, 30.0))
    assert _ring_fraction(scene, ring, GREEN)[0] > 0.98


def test_hold_arc_deg():
    assert hold_arc_deg(15, 30) == 180.0
    assert hold_arc_deg(-1, 30) == 0.0
    assert hold_arc_deg(60, 30) == 360.0


def test_hold_ring_shows_seconds_left():
    ring = HoldRing()
    a, b = _blank(1280, 720), _blank(1280, 720)
    ring.annotate(a, HoldView(10.0, 30.0))   # "20"
    ring.annotate(b, HoldView(10.5, 30.0))   # "20" (ceil of 19.5)
    c = _blank(1280, 720)
    ring.annotate(c, HoldView(15.0, 30.0))   # "15"
    (cx, cy), r, _ = ring.layout((1280, 720))
    centre = np.s_[cy - r // 2:cy + r // 4, cx - r // 2:cx + r // 2]
    assert (a[centre] == b[centre]).all()
    assert (a[centre] != c[centre]).any()


# --------------------------------------------------------------------------- panel, reps, arc
def _count_colour(img: np.ndarray, color: tuple[int, int, int], tol: int = 30) -> int:
    return int(np.all(np.abs(img.astype(int) - np.array(color)) < tol, axis=2).sum())


def test_status_panel_colours_follow_rule_state():
    def panel(states):
        scene = _blank(1280, 720, value=90)
        rules = [RuleRow(f"Regel {i}", s, 12.0, (None, 10.0)) for i, s in enumerate(states)]
        StatusPanel(lang="nb").annotate(scene, OverlayState(phase="hold", side="left", rules=rules))
        return scene[:360, :640]

    only_fault = panel(["fault"])
    only_ok = panel(["ok"])
    assert _count_colour(only_fault, RED) > 50 and _count_colour(only_fault, GREEN) == 0
    assert _count_colour(only_ok, GREEN) > 50 and _count_colour(only_ok, RED) == 0
    assert _count_colour(panel(["warning"]), AMBER) > 50


def test_rule_view_rejects_unknown_state():
    with pytest.raises(ValueError, match="state must be one of"):
        RuleRow("x", "bad")


def test_overlay_state_accepts_plain_tuples():
    st = OverlayState(rules=[("Skuldre", "fault", 12.0, (None, 10.0))], cue="Rolig")
    assert isinstance(st.rules[0], RuleRow) and st.rules[0].bounds == (None, 10.0)
    assert isinstance(st.cue, CueView) and st.cue.text == "Rolig"


def test_format_bounds():
    assert format_bounds((None, 30)) == "≤ 30°"
    assert format_bounds((80, 100)) == "80–100°"
    assert format_bounds((3, None), " s") == "≥ 3 s"
    assert format_bounds((None, None)) == ""


def test_rep_counter_draws_count():
    a, b = _blank(1280, 720), _blank(1280, 720)
    RepCounter(lang="nb").annotate(a, RepView(3, 8))
    RepCounter(lang="nb").annotate(b, RepView(4, 8))
    assert (a != b).any()
    assert a[:, :900].max() == 0  # right-hand side only


def test_angle_arc_geometry_and_drawing():
    arc = ArcView(vertex_xy=(0.5, 0.5), a_xy=(0.8, 0.5), b_xy=(0.5, 0.2), target_deg=(None, 30.0), state="fault")
    assert arc.angle_deg == pytest.approx(90.0)
    scene = _blank(720, 720)
    AngleArc(radius_rel=0.1).annotate(scene, arc)
    r = 72
    # The arc (red) runs from the ray to a (0°) to the ray to b (-90° in image coords).
    x, y = 360 + r * math.cos(math.radians(-45)), 360 + r * math.sin(math.radians(-45))
    assert tuple(scene[int(round(y)), int(round(x))]) == RED
    # Nothing of the arc on the other side of the joint.
    assert _count_colour(scene[380:, 380:], RED) == 0


def test_arc_from_frame_needs_visible_landmarks():
    frame = _person()
    arc = ArcView.from_frame(frame, Landmark.LEFT_ELBOW, Landmark.LEFT_SHOULDER, Landmark.LEFT_WRIST)
    assert arc is not None and 0 < arc.angle_deg <= 180
    frame.landmarks[Landmark.LEFT_WRIST, 3] = 0.1
    assert ArcView.from_frame(frame, Landmark.LEFT_ELBOW, Landmark.LEFT_SHOULDER, Landmark.LEFT_WRIST) is None
    assert ArcView.from_frame(PoseFrame.empty(0, (640, 480)), 13, 11, 15) is None


def test_cue_banner_at_bottom_and_wraps():
    scene = _blank(1280, 720)
    CueBanner().annotate(scene, CueView(SENTENCE + " " + SENTENCE, "safety"))
    rows = np.nonzero(scene.max(axis=(1, 2)) > 0)[0]
    assert rows.min() > 720 * 0.6 and rows.max() < 720
    assert _count_colour(scene, RED) > 100  # safety accent
    empty = _blank(1280, 720)
    CueBanner().annotate(empty, None)
    assert empty.max() == 0


# --------------------------------------------------------------------------- whole overlay
def _full_state(frame: PoseFrame) -> OverlayState:
    return OverlayState(
        phase="hold", side="right", exercise="Liggende rotasjon", hold_s=21.4, hold_target_s=30.0,
        reps=1, reps_target=2,
        rules=[("Skuldrene i gulvet", "fault", 18.0, (None, 10.0)), ("Armene i T", "ok", 88.0, (70, 110)),
               ("Kneet over midtlinjen", "warning", None, (None, None)), ("Hodet vendt bort", "cant_see", None, (None, None))],
        cue=CueView(SENTENCE, "safety"), next_instruction="Gå rolig tilbake til midten og bytt side",
        pose=frame,
        arcs=[ArcView.from_frame(frame, Landmark.LEFT_ELBOW, Landmark.LEFT_SHOULDER, Landmark.LEFT_WRIST,
                                 (150.0, None), "warning")],
    )


def test_mirror_flips_image_but_not_text():
    base = _blank(1280, 720, value=60)
    cv2.rectangle(base, (20, 330), (60, 370), (0, 0, 255), -1)  # a marker on the left
    state = OverlayState(cue=CueView("Roligere — følg pusten", "pace"))
    plain = OverlayAnnotator(lang="nb").annotate(base.copy(), state)
    mirrored = OverlayAnnotator(lang="nb", mirror=True).annotate(base.copy(), state)
    assert tuple(plain[350, 40]) == (0, 0, 255) and tuple(mirrored[350, 1279 - 40]) == (0, 0, 255)
    assert tuple(mirrored[350, 40]) == (60, 60, 60)
    band = np.s_[550:, :]
    assert (plain[band] == mirrored[band]).all()  # text reads the same, not flipped


def test_full_overlay_1280x720_png(tmp_path):
    frame = _person((1280, 720))
    scene = np.zeros((720, 1280, 3), np.uint8)
    scene[:] = np.linspace(60, 180, 1280, dtype=np.uint8)[None, :, None]
    ov = OverlayAnnotator(lang="nb")
    out = ov.annotate(scene, _full_state(frame))
    assert out is scene
    path = tmp_path / "overlay.png"
    assert cv2.imwrite(str(path), out)
    assert path.stat().st_size > 10_000
    # Every element is there: the panel (placed off the person), ring top-right, cue at the bottom.
    x0, y0, x1, y1 = ov.panel.box_xyxy((1280, 720), _full_state(frame))
    assert _count_colour(out[y0:y1, x0:x1], RED) > 50
    assert _count_colour(out[:200, 1050:], GREEN) > 200
    assert (out[650:, 600:700] < 60).mean() > 0.3  # dark cue band behind the text


# (what the full overlay costs a frame: benchmarks/interactive.py, not a test)


def test_prompt_screen_dims_and_centres_text(tmp_path):
    from coach.ui.draw import PromptScreen, PromptView
    from coach.i18n import t

    scene = np.full((720, 1280, 3), 200, np.uint8)
    view = PromptView(t("symptoms.question", "nb"), t("symptoms.stop", "nb"), t("symptoms.answer_hint", "nb"), "safety")
    PromptScreen().annotate(scene, view)
    assert scene[5, 5].max() < 70  # dimmed
    ink = np.nonzero((scene.max(axis=2) > 150).any(axis=0))[0]
    assert abs((ink.min() + ink.max()) / 2 - 640) < 40  # centred
    assert ink.max() - ink.min() < 1280 * 0.9  # wrapped inside the margins
    assert _count_colour(scene, RED) > 50  # safety accent
    cv2.imwrite(str(tmp_path / "prompt.png"), scene)
    with pytest.raises(ValueError, match="severity"):
        PromptView("x", severity="loud")
