"""Motion scripts for the seven exercises of EXERCISES.md, with their mistake variants.

Every exercise has: a camera kind, its props, its sides, a pose function (parameters ->
PoseSpec for the person's right side) and a script builder
``script(sides, mistake, style=None, size="obvious") -> Script``.

- ``Style`` is how one person does a *correct* exercise (drawn per clip from a seed by
  ``draw_style``): range of motion, tempo, hold lengths, rep count, which side first,
  starting already in position, short pauses, glances at the screen. Every value stays
  inside what the article allows (GOOD below).
- A mistake id is the spec rule id that should catch it (exercise_specs/RULE_IDS.md).
  Every mistake comes at two sizes (``MISTAKE_SIZES``): ``just_past`` (just beyond what
  the article forbids: a fault a physiotherapist would correct, but small) and ``obvious``.
  The numbers come from the article's words (EXERCISES.md), never from the coach's specs;
  the reasoning sits next to each number. Mistakes are put on the first side done; the
  other side (if any) is done well.

Body frame (anny): +X = person's left, -Y = front, +Z = head. Angles in degrees.
Numpy only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from coach.synth.geometry import rot, unit
from coach.synth.motion import PoseSpec, Script

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
LUMBAR = ("spine05", "spine04")
THORACIC = ("spine03", "spine02", "spine01")
NECK = ("neck01", "neck02", "neck03", "head")

SUPINE = rot([1, 0, 0], -90)   # lying on the back, head towards world +Y
PRONE = rot([1, 0, 0], 90)     # face down (all fours), head towards world -Y
UPRIGHT = np.eye(3)

X, Y, Z = np.eye(3)
SIZES = ("just_past", "obvious")
NOMINAL_SHOULDER_W_M = 0.34    # shoulder joint centres of an average adult (anny: 0.31-0.40)


# ============================================================================ what the article allows
# Ranges a *good* clip is drawn from (EXERCISES.md). Holds are drawn towards the short end
# (render time is the budget).
GOOD = {
    "lying_twist": dict(hold_s=(32, 55),        # "hold at least 30 s, preferably up to 60 s"
                        cross_deg=(75, 100),    # knee brought across and resting on the floor or a cushion
                        head_deg=(45, 70),      # "turn the head to the right, gaze toward the right hand"
                        arm_abd_deg=(80, 95)),  # "arms out to the sides at shoulder height (T shape)"
    "chair_extension": dict(hold_s=(3.5, 5.0),  # "hold 3-5 s"
                            reps=(5, 8),        # "5-8 reps at a calm pace"
                            lean_deg=(15, 35),  # upper back follows the chair's curve
                            lean_min_s=2.0),    # "lean slowly back" / "do not throw yourself back"
    "cat_cow": dict(reps=(10, 15),              # "10-15 reps"
                    cycle_min_s=4.5,            # "slow rhythm following the breath": a calm breath >= ~4.5 s
                    cat_gain=(0.6, 1.0),        # a shallow to a deep cat (46 deg of spinal flexion at 1.0)
                    cow_gain=(0.7, 1.0),        # belly sinks (30 deg of spinal extension at 1.0)
                    cow_head_deg=(10, 30),      # "lift head and tailbone" - the head lifts, not thrown back
                    cat_chin_deg=(18, 30)),     # "chin to chest"
    "knee_to_chest": dict(hold_s=(31, 40),      # "hold 30 s"
                          rock_s=(32, 55),      # "rock gently side to side 30-60 s"
                          hip_deg=(110, 125),   # knee to the chest
                          rock_amp_deg=(8, 14),  # gently
                          rock_period_s=(4.0, 6.0)),  # soft, rhythmic: a rock per breath
    "seated_rotation": dict(hold_s=(31, 40),    # "hold 30 s"
                            rot_deg=(30, 50)),  # "turn the upper body gently"
    "passive_hang": dict(hold_s=(21, 29),       # "hold 20-30 s"
                         grip_ratio=(1.0, 1.25)),  # "hands shoulder-width apart"
    "crossed_leg_rotation": dict(hold_s=(31, 40),  # "hold 30 s"
                                 drop_deg=(40, 60)),  # knees lowered to the side, not forced
}


@dataclass(frozen=True)
class Size:
    just_past: float
    obvious: float
    unit: str
    article: str          # the article's words the numbers come from


# Every mistake at two sizes. The number is the physical amount recorded in the truth
# ("amount" + "unit"); the comment says how it follows from the article.
MISTAKE_SIZES: dict[str, dict[str, Size]] = {
    "lying_twist": {
        # far shoulder off the floor: a physio sees 5-6 cm, 12+ cm is plain
        "shoulder_lifting": Size(0.055, 0.13, "m far shoulder above the floor",
                                 "keep both shoulders on the floor; the hip may lift, the shoulders must not"),
        # T = ~90 deg abduction; 55 deg is an arm clearly below shoulder height, 25 deg by the side
        "arms_not_t": Size(55.0, 25.0, "deg shoulder abduction",
                           "arms out to the sides at shoulder height (T shape)"),
        # knee rotation across (90 = leg resting on the floor on the other side): 35 deg = the knee
        # hovers just over the midline instead of resting down; 10 deg = stays above its own hip
        "knee_not_crossing": Size(35.0, 10.0, "deg knee rotation across",
                                  "bring the right knee slowly across the body to the left ... rest the leg on the floor"),
        # head yaw toward the hand (good 45-70): 12 deg = hardly turned; -35 = turned towards the knee
        "head_not_turned": Size(12.0, -35.0, "deg head turn toward the hand",
                                "turn the head to the right, gaze toward the right hand"),
        # calm: the knee crosses over >= 3 s (tempo never goes below); 1.8 s / 0.8 s are quick and a drop
        "too_fast": Size(1.8, 0.8, "s to bring the knee across (calm >= 3)",
                         "bring the right knee slowly across ... return slowly to the middle"),
        # min 30 s: 24 s is 20 % short, 12 s is less than half
        "hold_too_short": Size(24.0, 12.0, "s hold (minimum 30)", "hold at least 30 s, preferably up to 60 s"),
        # max 60 s: 68 s, 80 s
        "hold_too_long": Size(68.0, 80.0, "s hold (maximum 60)", "hold at least 30 s, preferably up to 60 s"),
        # binary: the second side is never done (no smaller version of a skipped side)
        "side_skipped": Size(1.0, 1.0, "sides skipped", "repeat on the other side"),
    },
    "chair_extension": {
        # wrist-ear distance: hands behind the head ~0.1 m; 0.2 m = hands slid down onto the
        # neck/shoulders; 0.45 m = arms crossed over the chest
        "hands_not_behind_head": Size(0.2, 0.45, "m wrist to ear",
                                      "hands behind the head, elbows out to the sides"),
        # knee ~90 deg with the feet flat; 110 deg lifts the heels ~3 cm, 130 deg tucks the feet under
        "feet_not_flat": Size(110.0, 130.0, "deg knee angle (feet flat ~90)", "feet flat, hip-width apart"),
        # lumbar extension beyond neutral: 12 deg (+3 cm hips forward) is a visible arch, 26 deg (+8 cm) plain
        "lumbar_arching": Size(12.0, 26.0, "deg lumbar extension", "do not let the lower back arch"),
        # lean-back time: calm >= 2 s; 1.3 s is hurried, 0.6 s is throwing oneself back
        "too_fast": Size(1.3, 0.6, "s to lean back (calm >= 2)", "lean slowly back ... do not throw yourself back"),
        # hold 3-5 s: 2 s, 0.8 s
        "hold_too_short": Size(2.0, 0.8, "s hold (minimum 3)", "hold 3-5 s"),
        # 5-8 reps: two off (3 or 10), or 2
        "reps_out_of_range": Size(3.0, 2.0, "reps (5-8)", "5-8 reps at a calm pace"),
    },
    "cat_cow": {
        # arm from vertical: palms under the shoulders = 0; 12 deg = hands ~12 cm ahead; 25 deg ~25 cm
        "wrists_not_under_shoulders": Size(12.0, 25.0, "deg arm from vertical",
                                           "palms directly under the shoulders"),
        # thigh from vertical: 11 deg / 22 deg (knees ~9 / ~18 cm off the hips)
        "knees_not_under_hips": Size(11.0, 22.0, "deg thigh from vertical", "knees under the hips"),
        # straight arms; 20 deg elbow flexion is visibly bent, 40 deg plain
        "elbows_bent": Size(20.0, 40.0, "deg elbow flexion", "palms directly under the shoulders (arms straight)"),
        # the cow lifts the head (good up to ~30 deg neck extension): 50 deg / 65 deg
        "neck_overextended": Size(50.0, 65.0, "deg neck extension in cow", "do not overextend the neck"),
        # thigh swing per half cycle while the spine range is cut (to 60 % / 30 %)
        "hips_shifting": Size(9.0, 18.0, "deg thigh swing per half cycle",
                              "the movement comes from the spine, not from the shoulders or hips"),
        # a calm breath cycle >= 4 s: 3.2 s, 2 s
        "too_fast": Size(3.2, 2.0, "s per cycle (calm >= 4)", "slow rhythm following the breath; no fast movement"),
        # 10-15 reps: 8 or 17, 5
        "reps_out_of_range": Size(8.0, 5.0, "reps (10-15)", "10-15 reps"),
    },
    "knee_to_chest": {
        # hip flexion: knee to the chest ~115-125; 90 = thigh vertical (knee ~20 cm short); 70
        "knee_not_near_chest": Size(90.0, 70.0, "deg hip flexion", "pull one knee to the chest"),
        # both hands on the knee: one hand / none
        "hands_not_on_knee": Size(1.0, 0.0, "hands on the knee (of 2)", "hold it with both hands"),
        # the other foot stays flat: ~5 cm off the floor / ~25 cm
        "other_foot_lifted": Size(0.05, 0.25, "m other foot above the floor", "knees bent, feet flat"),
        # head rests on the floor: 15 deg neck flexion (~4 cm), 35 deg
        "head_lifting": Size(15.0, 35.0, "deg neck flexion (head off the floor)", "shoulders relaxed, lower back resting"),
        # gentle rock ~8-14 deg: 22, 34
        "rocking_too_big": Size(22.0, 34.0, "deg pelvis roll amplitude", "rock gently side to side"),
        # soft, rhythmic: ~a breath per rock (>= 4 s); 2.5 s, 1.2 s
        "rocking_too_fast": Size(2.5, 1.2, "s per rock cycle", "rock gently side to side ... soft, rhythmic"),
        # hold 30 s: 24, 12
        "hold_too_short": Size(24.0, 12.0, "s hold (minimum 30)", "hold 30 s, switch legs"),
        # rock 30-60 s: 24, 12 / 68, 80
        "rocking_too_short": Size(24.0, 12.0, "s rocking (minimum 30)", "hold and rock gently side to side 30-60 s"),
        "rocking_too_long": Size(68.0, 80.0, "s rocking (maximum 60)", "hold and rock gently side to side 30-60 s"),
    },
    "seated_rotation": {
        # back straight: 12 deg trunk flexion is a visible slump, 25 deg plain
        "slumped": Size(12.0, 25.0, "deg trunk flexion", "back straight"),
        # do not let the body tip: 7 deg sideways lean, 15 deg
        "shoulders_tipping": Size(7.0, 15.0, "deg sideways lean", "keep the hips still - do not let the body tip"),
        # shoulders low: 12 deg clavicle elevation (~3 cm), 25 deg (~6 cm, to the ears)
        "shoulders_shrugged": Size(12.0, 25.0, "deg clavicle elevation", "shoulders low"),
        # gentle turn 30-50 deg: 18 deg, 8 deg
        "rotation_too_small": Size(18.0, 8.0, "deg trunk rotation", "turn the upper body gently to the left"),
        # forced: past the gentle range, quickly: 62 deg in 2 s, 78 deg in 1.2 s
        "rotation_forced": Size(62.0, 78.0, "deg trunk rotation (quick)", "no forced twisting"),
        # hips still: 12 deg pelvis yaw, 30 deg
        "hips_turning": Size(12.0, 30.0, "deg pelvis yaw", "keep the hips still"),
        # right hand on the left knee, left hand behind: one hand wrong / both
        "hand_placement": Size(1.0, 0.0, "hands placed right (of 2)", "right hand on the left knee, left hand behind the body"),
        "hold_too_short": Size(24.0, 12.0, "s hold (minimum 30)", "hold 30 s; switch sides"),
        "side_skipped": Size(1.0, 1.0, "sides skipped", "switch sides"),
    },
    "passive_hang": {
        # grip / shoulder width (joint centres) ~1-1.25: 1.6x, 2.1x
        "grip_width": Size(1.6, 2.1, "grip width / shoulder width", "overhand grip, hands shoulder-width apart"),
        # hang naturally = straight arms: 25 deg, 45 deg elbow flexion
        "elbows_bent": Size(25.0, 45.0, "deg elbow flexion", "hang naturally; do not tense the shoulders"),
        # feet off the ground: toes still touching (heels up) / feet flat
        "feet_on_ground": Size(0.0, 0.0, "m feet above the floor (just_past: toes touch, obvious: feet flat)",
                               "lift the feet off the ground"),
        # do not swing: 4 deg (hips ~7 cm each way), 10 deg
        "swinging": Size(4.0, 10.0, "deg swing amplitude", "do not swing or twist"),
        # do not twist: 7 deg, 15 deg
        "twisting": Size(7.0, 15.0, "deg twist amplitude", "do not swing or twist"),
        # 20-30 s: 16, 8 / 36, 48
        "hold_too_short": Size(16.0, 8.0, "s hold (minimum 20)", "hold 20-30 s"),
        "hold_too_long": Size(36.0, 48.0, "s hold (maximum 30)", "hold 20-30 s"),
    },
    "crossed_leg_rotation": {
        # cross the right leg over the left: 0.35 = only the ankles hooked, 0 = side by side
        "legs_not_crossed": Size(0.35, 0.0, "leg cross (1 = thigh over thigh)", "cross the right leg over the left"),
        # both knees together: top knee lags 20 deg, 43 deg
        "knees_apart": Size(20.0, 43.0, "deg between the knees' drop", "lower both knees to the left together"),
        "shoulder_lifting": Size(0.055, 0.13, "m far shoulder above the floor", "keep the shoulders on the floor"),
        # calm: knees lowered over >= 2.5 s: 1.5 s, 0.8 s
        "too_fast": Size(1.5, 0.8, "s to lower the knees (calm >= 2.5)", "do not force the rotation; breathe calmly"),
        # gentle drop 40-60 deg: 72, 80 (forced down until the knees touch the floor)
        "rotation_beyond_limit": Size(72.0, 80.0, "deg knee drop", "do not force the rotation"),
        "hold_too_short": Size(24.0, 12.0, "s hold (minimum 30)", "hold 30 s"),
        "side_skipped": Size(1.0, 1.0, "sides skipped", "back to the middle and switch sides"),
    },
}
BINARY_MISTAKES = {("lying_twist", "side_skipped"), ("seated_rotation", "side_skipped"),
                   ("crossed_leg_rotation", "side_skipped")}


def mistake_amount(ex_id: str, mistake: str, size: str, style: "Style | None" = None) -> float:
    sz = MISTAKE_SIZES[ex_id][mistake]
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    v = getattr(sz, size)
    if mistake == "reps_out_of_range" and size == "just_past" and style is not None and style.rom.get("reps_high"):
        v = {"cat_cow": 17.0, "chair_extension": 10.0}[ex_id]   # two over the maximum instead of two under
    return v


# ============================================================================ style
@dataclass
class Style:
    """How one person does the exercise correctly (drawn by ``draw_style``)."""

    tempo: float = 1.0                  # multiplies movement durations (never below the calm minimum)
    side_first: str | None = None       # None = the exercise's default first side
    start_in_position: bool = False     # no setup phase: the clip starts in the start position
    pause_s: float = 0.0                # short pauses between steps (0 = none)
    glances: tuple = ()                 # ((where 0..1 in the glance-able time, seconds), ...)
    hold_s: float | None = None         # hold per side (None = the short end of the article's range)
    rock_s: float | None = None         # knee_to_chest: rocking time
    reps: int | None = None
    rom: dict = field(default_factory=dict)  # exercise-specific range of motion

    def to_json(self) -> dict:
        d = asdict(self)
        d["glances"] = [list(g) for g in self.glances]
        return d


def _rng_range(rng, lo_hi, skew: float = 1.0) -> float:
    lo, hi = lo_hi
    return float(lo + (hi - lo) * rng.random() ** skew)


def draw_style(ex_id: str, rng: np.random.Generator) -> Style:
    """A correct way of doing ``ex_id``: everything within the article's ranges (GOOD)."""
    g = GOOD[ex_id]
    ex = EXERCISES[ex_id]
    tempo = float(rng.uniform(0.6, 1.5))
    side_first = str(rng.choice(ex.sides)) if ex.sides else None
    start_in_position = bool(rng.random() < 0.3)
    pause_s = float(rng.uniform(1.0, 4.0)) if rng.random() < 0.5 else 0.0
    n_gl = int(rng.choice([0, 0, 1, 1, 2]))
    glances = tuple((round(float(rng.random()), 3), round(float(rng.uniform(1.0, 2.0)), 2)) for _ in range(n_gl))
    rom: dict = {}
    hold_s = rock_s = reps = None
    if "hold_s" in g:
        hold_s = round(_rng_range(rng, g["hold_s"], skew=3.0), 1)   # short end more often than not
    if ex_id == "lying_twist":
        rom = dict(cross_deg=_rng_range(rng, g["cross_deg"]), head_deg=_rng_range(rng, g["head_deg"]),
                   arm_abd_deg=_rng_range(rng, g["arm_abd_deg"]))
    elif ex_id == "chair_extension":
        reps = int(rng.integers(g["reps"][0], g["reps"][1] + 1)) if rng.random() < 0.4 else int(rng.integers(5, 7))
        rom = dict(lean_deg=_rng_range(rng, g["lean_deg"]))
    elif ex_id == "cat_cow":
        reps = int(rng.integers(10, 16)) if rng.random() < 0.35 else int(rng.integers(10, 12))
        rom = dict(cat_gain=_rng_range(rng, g["cat_gain"]), cow_gain=_rng_range(rng, g["cow_gain"]),
                   cow_head_deg=_rng_range(rng, g["cow_head_deg"]), cat_chin_deg=_rng_range(rng, g["cat_chin_deg"]))
    elif ex_id == "knee_to_chest":
        rock_s = round(_rng_range(rng, g["rock_s"], skew=3.0), 1)
        rom = dict(hip_deg=_rng_range(rng, g["hip_deg"]), rock_amp_deg=_rng_range(rng, g["rock_amp_deg"]),
                   rock_period_s=_rng_range(rng, g["rock_period_s"]))
    elif ex_id == "seated_rotation":
        rom = dict(rot_deg=_rng_range(rng, g["rot_deg"]))
    elif ex_id == "passive_hang":
        rom = dict(grip_ratio=_rng_range(rng, g["grip_ratio"]),
                   feet=str(rng.choice(["relaxed", "pointed"])),
                   knees=str(rng.choice(["straight", "slightly_bent"])))
        rom["ankle_deg"] = float(rng.uniform(15, 28)) if rom["feet"] == "relaxed" else float(rng.uniform(35, 50))
        rom["knee_deg"] = float(rng.uniform(0, 4)) if rom["knees"] == "straight" else float(rng.uniform(12, 28))
    elif ex_id == "crossed_leg_rotation":
        rom = dict(drop_deg=_rng_range(rng, g["drop_deg"]))
    rom = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in rom.items()}
    rom["reps_high"] = bool(rng.random() < 0.5)   # reps_out_of_range just_past: over (True) or under the range
    return Style(tempo=round(tempo, 3), side_first=side_first, start_in_position=start_in_position,
                 pause_s=round(pause_s, 2), glances=glances, hold_s=hold_s, rock_s=rock_s, reps=reps, rom=rom)


def _style(style: Style | None) -> Style:
    return style if style is not None else Style()


def _new_script(params: dict, st: Style) -> Script:
    s = Script(dict(params), tempo=st.tempo)
    return s


def _begin(s: Script, st: Style, setup_s: float = 3.0) -> None:
    if not st.start_in_position:
        s.hold(setup_s, "setup")
        _pause(s, st)


def _pause(s: Script, st: Style, side=None) -> None:
    if st.pause_s > 0:
        s.hold(st.pause_s, "rest", side)


def _place_glances(s: Script, st: Style, phases: tuple[str, ...]) -> None:
    """Glances at the screen (head towards the camera), inside the given phases."""
    spans = [(p["start_ms"] / 1000, p["end_ms"] / 1000) for p in s.phases() if p["phase"] in phases]
    spans = [(a + 0.5, b - 0.5) for a, b in spans if b - a >= 2.5]
    total = sum(b - a for a, b in spans)
    for where, dur in st.glances:
        if total <= 0:
            break
        x = where * total
        for a, b in spans:
            if x <= b - a:
                t0 = min(a + x, b - dur)
                if t0 >= a:
                    s.glance(t0, dur)
                break
            x -= b - a


def _d(v, frame=None):
    return ("dir", unit(v), frame)


def sag(phi: float) -> np.ndarray:
    """Body-frame direction in the sagittal plane, phi degrees from straight down towards the front."""
    r = np.radians(phi)
    return np.array([0.0, -np.sin(r), -np.cos(r)])


def spread(axis, total_deg: float, bones=SPINE) -> dict:
    return {b: rot(axis, total_deg / len(bones)) for b in bones}


def combine(*dicts: dict) -> dict:
    """Merge local-rotation dicts, composing rotations given for the same bone."""
    out: dict = {}
    for d in dicts:
        for k, r in d.items():
            out[k] = out[k] @ r if k in out else r
    return out


def _lift_deg(amount_m: float) -> float:
    """Shoulder-line roll (deg) that lifts the far shoulder by amount_m (nominal shoulder width)."""
    return float(np.degrees(np.arcsin(min(0.95, amount_m / NOMINAL_SHOULDER_W_M))))


# ---------------------------------------------------------------------------- shared pieces
def _supine_arms(abd_deg: float, down: float = 0.15) -> dict:
    """Arms resting on the floor, abducted abd_deg; ``down``: how steeply they slope to the floor
    (the renderer calibrates it per body: p['_arm_down'])."""
    a = np.radians(abd_deg)
    return {"upperarm01.L": _d([np.sin(a), down, -np.cos(a)]), "lowerarm01.L": _d([np.sin(a), down, -np.cos(a)]),
            "upperarm01.R": _d([-np.sin(a), down, -np.cos(a)]), "lowerarm01.R": _d([-np.sin(a), down, -np.cos(a)])}


def _leg(side: str, hip: float, knee: float, lateral: float = 0.06, turn: float = 0.0, extra=None) -> dict:
    """Leg aims from hip flexion and knee flexion (deg), optionally turned about the body axis."""
    sgn = 1.0 if side == "L" else -1.0
    r = rot(Z, turn)
    thigh = r @ unit(sag(hip) + [sgn * lateral, 0.0, 0.0] + (np.zeros(3) if extra is None else extra))
    shin = r @ unit(sag(hip - knee) + [sgn * lateral * 0.3, 0.0, 0.0])
    return {f"upperleg01.{side}": _d(thigh), f"lowerleg01.{side}": _d(shin)}


def _hold_with_mistake(s: Script, hold_s: float, side, m, rule, onset_after_s, ramp_s, amount, unit_, desc,
                       size="obvious", **targets):
    """A hold during which parameters ramp to ``targets`` after onset_after_s (when m == rule)."""
    if m == rule:
        s.hold(onset_after_s, "hold", side)
        t_on = s.t_s
        s.move(ramp_s, "hold", side, **targets)
        s.hold(hold_s - onset_after_s - ramp_s, "hold", side)
        s.mistake(rule, t_on, s.t_s, amount, unit_, side, desc, size)
        s.event(t_on + ramp_s, "cue", rule, side)
    else:
        s.hold(hold_s, "hold", side)


def _timed_hold(s: Script, side, m, size, *, normal_s: float, min_s: float, max_s: float | None,
                short_s: float, long_s: float | None, what: str = "hold", phase: str = "hold",
                short_rule: str = "hold_too_short", long_rule: str = "hold_too_long", body=None) -> None:
    """A hold (or rocking) of the article's length, or too short / too long for those mistakes.
    ``body(s, dur)`` fills the time (default: a plain hold)."""
    dur = short_s if m == short_rule else long_s if (m == long_rule and long_s) else normal_s
    t0 = s.t_s
    s.event(t0, "hold_start", None, side, what=what)
    if body:
        body(s, dur)
    else:
        s.hold(dur, phase, side)
    if dur >= min_s:
        s.event(t0 + min_s, "hold_reached", None, side, hold_s=min_s, what=what)
    if m == short_rule:
        s.mistake(short_rule, t0, s.t_s, dur, f"s {what} (minimum {min_s:g})", side,
                  f"{what} released after {dur:g} s", size)
        s.event(s.t_s, "cue", short_rule, side)
    if m == long_rule and max_s is not None:
        s.mistake(long_rule, t0 + max_s, s.t_s, dur, f"s {what} (maximum {max_s:g})", side,
                  f"{what} kept {dur:g} s", size)
        s.event(t0 + max_s, "cue", long_rule, side)


def _close_open_mistakes(s: Script) -> None:
    """Mistakes tied to a side's hold end when that side's hold ends."""
    for mk in s.mistakes:
        if mk["end_ms"] is None:
            mk["end_ms"] = round(s.t_s * 1000)


def _side_skipped(s: Script, mistake, sides, size) -> None:
    if mistake == "side_skipped":
        s.hold(5, "rest")
        s.mistake(mistake, s.t_s - 5, s.t_s, 1, "sides skipped", None, "the second side is never done", size)
        s.event(s.t_s, "cue", mistake, None)


def _hold_len(st: Style, ex_id: str) -> float:
    return st.hold_s if st.hold_s is not None else float(GOOD[ex_id]["hold_s"][0]) + 1.0


# ============================================================================ 1. lying twist
# side "right": the right knee is bent and brought across to the left, head turns right.
def lying_twist_pose(p: dict) -> PoseSpec:
    ar, al = np.radians(p["arm_abd_r"]), np.radians(p["arm_abd_l"])
    dn = p.get("_arm_down", 0.15)
    arm_r = _d([-np.sin(ar), dn, -np.cos(ar)])
    arm_l_t = np.array([np.sin(al), dn, -np.cos(al)])
    cross = rot(Z, p["cross"])
    thigh = cross @ unit(sag(p["hip"]) + [-0.06, 0.0, 0.0])
    shin = cross @ sag(p["hip"] - p["knee"])
    # the straight leg rests on the floor: as the pelvis rolls onto that side, the leg slopes
    # less towards the floor; the renderer calibrates both numbers per body
    down = p.get("_leg_down0", 0.04) + p.get("_leg_down_k", -0.0018) * p["roll"]
    aims = {
        "upperleg01.L": _d([0.06, down, -1]), "lowerleg01.L": _d([0.02, down - 0.01, -1]),
        "upperleg01.R": _d(thigh), "lowerleg01.R": _d(shin),
        "upperarm01.R": arm_r, "lowerarm01.R": arm_r,
        # left hand: from the T position to the outside of the right knee
        "upperarm01.L": ("ik", ("mix", ("joint", "upperarm01.L", 0.7 * unit(arm_l_t)),
                                ("joint", "lowerleg01.R", [-0.05, -0.02, 0.02]), p["hand"]), [0, -0.2, -1]),
    }
    breath = p["breath"]
    local = combine(
        {"root": rot(Z, p["roll"])},
        spread(Z, -p["roll"] + p["lift"]),
        {"spine02": rot(X, -0.8 * breath)},
        spread(Z, -p["head"] - 2.0 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, SUPINE, "lying")


def lying_twist_script(sides: list[str], mistake: str | None, style: Style | None = None,
                       size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "lying_twist"
    rom = st.rom
    arm = rom.get("arm_abd_deg", 85.0)
    s = _new_script(dict(arm_abd_r=arm, arm_abd_l=arm, hip=0.0, knee=0.0, cross=0.0, roll=0.0,
                         lift=0.0, head=0.0, hand=0.0), st)
    amt = mistake_amount(ex_id, mistake, size, st) if mistake else None
    _begin(s, st)
    for k, side in enumerate(sides):
        m = mistake if k == 0 else None
        cross = rom.get("cross_deg", 95.0)
        twist = dict(cross=cross, roll=0.3 * cross, hand=1.0, head=rom.get("head_deg", 60.0))
        if m == "knee_not_crossing":
            twist.update(cross=amt, roll=0.3 * amt, hand=0.5 + 0.5 * amt / 90)
        if m == "head_not_turned":
            twist.update(head=amt)
        t_move = s.t_s
        if m == "arms_not_t":
            s.move(2, "setup", side, arm_abd_r=amt)
            s.mistake(m, t_move, None, amt, MISTAKE_SIZES[ex_id][m].unit, side,
                      f"right arm at {amt:g} deg instead of out in a T", size)
            s.event(t_move + 2, "cue", m, side)
            t_move = s.t_s
        if m == "too_fast":
            s.move(max(0.8, amt * 0.8), "move", side, hip=95.0, knee=100.0)
            t_cross = s.t_s
            s.move(amt, "move", side, **twist)
            s.mistake(m, t_cross, s.t_s, amt, MISTAKE_SIZES[ex_id][m].unit, side,
                      f"knee brought across in {amt:g} s", size)
            s.event(s.t_s, "cue", m, side)
        else:
            s.tmove(3.0, 2.0, "move", side, hip=95.0, knee=100.0)
            s.tmove(4.0, 3.0, "move", side, **twist)
        if m == "knee_not_crossing":
            s.mistake(m, t_move, None, amt, MISTAKE_SIZES[ex_id][m].unit, side,
                      "the knee does not come across to rest on the other side", size)
            s.event(s.t_s, "cue", m, side)
        if m == "head_not_turned":
            s.mistake(m, t_move, None, amt, MISTAKE_SIZES[ex_id][m].unit, side,
                      "head not turned towards the hand", size)
            s.event(s.t_s, "cue", m, side)
        hold = amt if m in ("hold_too_short", "hold_too_long") else _hold_len(st, ex_id)
        t_hold = s.t_s
        s.event(t_hold, "hold_start", None, side)
        if m == "shoulder_lifting":
            s.hold(8, "hold", side)
            t_on = s.t_s
            s.move(2, "hold", side, lift=_lift_deg(amt))
            s.hold(hold - 10, "hold", side)
            s.mistake(m, t_on, s.t_s, amt, MISTAKE_SIZES[ex_id][m].unit, side,
                      "the far (right) shoulder lifts off the floor during the hold", size)
            s.event(t_on + 2, "cue", m, side)
        else:
            s.hold(hold, "hold", side)
        if hold >= 30:
            s.event(t_hold + 30, "hold_reached", None, side, hold_s=30)
        if m == "hold_too_short":
            s.mistake(m, t_hold, s.t_s, hold, "s hold (minimum 30)", side, f"hold released after {hold:g} s", size)
            s.event(s.t_s, "cue", m, side)
        if m == "hold_too_long":
            s.mistake(m, t_hold + 60, s.t_s, hold, "s hold (maximum 60)", side, f"hold kept {hold:g} s", size)
            s.event(t_hold + 60, "cue", m, side)
        if k == 0:
            _close_open_mistakes(s)
        s.tmove(4.0, 3.0, "return", side, cross=0.0, roll=0.0, lift=0.0, hand=0.0, head=0.0)
        s.tmove(3.0, 2.0, "return", side, hip=0.0, knee=0.0, arm_abd_r=arm)
        s.event(s.t_s, "side_done", None, side)
        s.hold(3, "rest")
        _pause(s, st)
    _side_skipped(s, mistake, sides, size)
    s.event(s.t_s, "exercise_done")
    _place_glances(s, st, ("setup", "rest"))
    return s


# ============================================================================ 2. chair extension
def chair_extension_pose(p: dict) -> PoseSpec:
    knee = p["knee"]
    aims = {**_leg("L", 90, knee, 0.08), **_leg("R", 90, knee, 0.08)}
    w = p["hands"]  # 1 = hands behind the head, 0 = arms crossed over the chest
    for sd, sg in (("L", 1), ("R", -1)):
        up_head = np.array([0.6 * sg, 0.3, 0.75])
        lo_head = np.array([-0.98 * sg, 0.2, 0.1])
        up_chest = np.array([0.2 * sg, -0.35, -1.0])
        lo_chest = np.array([-1.0 * sg, -0.45, 0.45])
        aims[f"upperarm01.{sd}"] = _d(w * unit(up_head) + (1 - w) * unit(up_chest), "spine01")
        aims[f"lowerarm01.{sd}"] = _d(w * unit(lo_head) + (1 - w) * unit(lo_chest), "spine01")
    local = combine(
        {"root": rot(X, -0.35 * p["lean"])},  # the pelvis rolls back a little on the seat
        spread(X, -p["lumbar"] + 3, LUMBAR),
        spread(X, -p["lean"] - 1.0 * p["breath"], THORACIC),
        spread(X, 0.3 * p["lean"] + 2 * p["sway2"], NECK),
        spread(Z, 1.5 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, UPRIGHT, "seated", offset_m=np.array([0.0, -p["slide"], 0.0]))


def chair_extension_script(sides, mistake, style: Style | None = None, size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "chair_extension"
    m = mistake
    amt = mistake_amount(ex_id, m, size, st) if m else None
    unit_ = MISTAKE_SIZES[ex_id][m].unit if m else ""
    hands_w = {"just_past": 0.5, "obvious": 0.0}[size] if m == "hands_not_behind_head" else 1.0
    s = _new_script(dict(lean=0.0, lumbar=0.0, hands=hands_w, knee=amt if m == "feet_not_flat" else 90.0,
                         slide=0.0), st)
    if st.start_in_position:
        s.hold(0.5, "setup")
    else:
        s.hold(4, "setup")
        _pause(s, st)
    if m == "hands_not_behind_head":
        s.mistake(m, 0, None, amt, unit_, None,
                  "hands slid down onto the neck/shoulders" if size == "just_past" else "arms crossed over the chest", size)
        s.event(min(2.0, s.t_s), "cue", m, None)
    if m == "feet_not_flat":
        s.mistake(m, 0, None, amt, unit_, None, "heels lifted, feet pulled back under the chair", size)
        s.event(min(2.0, s.t_s), "cue", m, None)
    n_reps = int(amt) if m == "reps_out_of_range" else (st.reps or 6)
    lean_deg = st.rom.get("lean_deg", 28.0)
    hold_good = st.hold_s if st.hold_s is not None else 4.0
    for r in range(1, n_reps + 1):
        bad = r >= 3
        tgt = dict(lean=lean_deg)
        if m == "lumbar_arching" and bad:
            tgt.update(lumbar=amt, slide=0.03 if size == "just_past" else 0.08)
        t0 = s.t_s
        if m == "too_fast" and bad:
            s.move(amt, "lean", None, r, **tgt)
        else:
            s.tmove(3.0, GOOD[ex_id]["lean_min_s"], "lean", None, r, **tgt)
        if m == "too_fast" and r == 3:
            s.mistake(m, t0, None, amt, unit_, None, f"leans back in {amt:g} s from rep 3 on", size)
            s.event(t0 + amt, "cue", m, None)
        if m == "lumbar_arching" and r == 3:
            s.mistake(m, t0, None, amt, unit_, None, "lower back arches and hips slide forward from rep 3 on", size)
            s.event(s.t_s, "cue", m, None)
        hold = amt if m == "hold_too_short" else hold_good
        s.hold(hold, "hold", None, r)
        if m == "hold_too_short" and r == 1:
            s.mistake(m, s.t_s - hold, None, hold, unit_, None, f"every hold {hold:g} s", size)
            s.event(s.t_s, "cue", m, None)
        s.tmove(3.0, 2.0, "return", None, r, lean=0.0, lumbar=0.0, slide=0.0)
        s.event(s.t_s, "rep", None, None, count=r)
        s.hold(max(1.0, st.pause_s) if r < n_reps else 2.0, "rest")
    s.hold(1, "rest")
    if m == "reps_out_of_range":
        s.mistake(m, 0, s.t_s, n_reps, unit_, None, f"{n_reps} reps", size)
        s.event(s.t_s, "cue", m, None)
    s.event(s.t_s, "exercise_done")
    _place_glances(s, st, ("setup", "rest"))
    return s


# ============================================================================ 3. cat-cow
def cat_cow_pose(p: dict) -> PoseSpec:
    f = p["flex"]  # -1 cow .. +1 cat
    spine_deg = 46.0 * f * p["cat_gain"] if f > 0 else 30.0 * f * p["cow_gain"]
    spine_deg *= p["spine_gain"]
    af, tb, el = np.radians(p["arm_fwd"]), np.radians(p["thigh_back"] + p["hip_shift"] * f), p["elbow"]
    world_aims = {
        "upperleg01.L": [0.06, np.sin(tb), -np.cos(tb)], "upperleg01.R": [-0.06, np.sin(tb), -np.cos(tb)],
        "lowerleg01.L": [0.0, 1.0, -0.04], "lowerleg01.R": [0.0, 1.0, -0.04],
        "wrist.L": [0.12, -1.0, -0.05], "wrist.R": [-0.12, -1.0, -0.05],
        "foot.L": [0.0, 1.0, -0.12], "foot.R": [0.0, 1.0, -0.12],   # tops of the feet on the mat
    }
    aims = {}
    local = combine(spread(X, spine_deg + 0.8 * p["breath"]), spread(X, p["neck"], ("neck01", "neck02", "neck03")))
    spec = PoseSpec(aims, local, PRONE, "all_fours", extras={"world_aims": world_aims})
    # arms: world direction shoulder -> wrist, elbows flexed by `elbow` (bending backwards/out)
    spec.extras["world_bend"] = {
        "upperarm01.L": ([0.05, -np.sin(af), -np.cos(af)], el, [0.3, 1.0, 0.0]),
        "upperarm01.R": ([-0.05, -np.sin(af), -np.cos(af)], el, [-0.3, 1.0, 0.0]),
    }
    return spec


def cat_cow_script(sides, mistake, style: Style | None = None, size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "cat_cow"
    m = mistake
    amt = mistake_amount(ex_id, m, size, st) if m else None
    unit_ = MISTAKE_SIZES[ex_id][m].unit if m else ""
    rom = st.rom
    s = _new_script(dict(flex=0.0, neck=0.0, spine_gain=1.0, cat_gain=rom.get("cat_gain", 1.0),
                         cow_gain=rom.get("cow_gain", 1.0),
                         arm_fwd=amt if m == "wrists_not_under_shoulders" else 0.0,
                         thigh_back=-amt if m == "knees_not_under_hips" else 0.0,
                         elbow=amt if m == "elbows_bent" else 3.0, hip_shift=0.0), st)
    _begin(s, st, 4.0)
    for rule, desc in (
            ("wrists_not_under_shoulders", "hands placed ahead of the shoulders"),
            ("knees_not_under_hips", "knees placed forward of the hips"),
            ("elbows_bent", "elbows bent throughout")):
        if m == rule:
            s.mistake(rule, 0, None, amt, unit_, None, desc, size)
            s.event(min(2.0, s.t_s), "cue", rule, None)
    n_reps = int(amt) if m == "reps_out_of_range" else (st.reps or 11)
    half_good = max(GOOD[ex_id]["cycle_min_s"] / 2, 3.0 * st.tempo)
    cow_neck = -rom.get("cow_head_deg", 18.0)
    cat_neck = rom.get("cat_chin_deg", 25.0)
    for r in range(1, n_reps + 1):
        bad = r >= 3
        half = amt / 2 if (m == "too_fast" and bad) else half_good
        cow = dict(flex=-1.0, neck=-amt if (m == "neck_overextended" and bad) else cow_neck)
        cat = dict(flex=1.0, neck=cat_neck)
        t0 = s.t_s
        if m == "hips_shifting" and r == 3:
            s.move(half, "cow", None, r, spine_gain=0.6 if size == "just_past" else 0.3, hip_shift=-amt, **cow)
            s.mistake(m, t0, None, amt, unit_, None,
                      "hips rock forward and back instead of the spine moving, from rep 3 on", size)
            s.event(t0 + 2 * half, "cue", m, None)
        else:
            s.move(half, "cow", None, r, **cow)
        if m == "neck_overextended" and r == 3:
            s.mistake(m, t0, None, amt, unit_, None, "head thrown back in every cow from rep 3", size)
            s.event(t0 + half, "cue", m, None)
        if m == "too_fast" and r == 3:
            s.mistake(m, t0, None, amt, unit_, None, f"{amt:g} s cycles from rep 3 on", size)
            s.event(t0 + 2 * half, "cue", m, None)
        s.move(half, "cat", None, r, **cat)
        s.event(s.t_s, "rep", None, None, count=r)
    s.tmove(2.5, 2.0, "return", None, None, flex=0.0, neck=0.0)
    s.hold(2, "rest")
    _pause(s, st)
    if m == "reps_out_of_range":
        s.mistake(m, 0, s.t_s, n_reps, unit_, None, f"{n_reps} reps", size)
        s.event(s.t_s, "cue", m, None)
    s.event(s.t_s, "exercise_done")
    _place_glances(s, st, ("setup", "rest"))
    return s


# ============================================================================ 4. knee to chest
# side "right": the right knee is pulled in (both hands on it); both knees + rocking follow.
def knee_to_chest_pose(p: dict) -> PoseSpec:
    rock = p["rock_amp"] * np.sin(2 * np.pi * p["t"] / p["rock_period"])
    aims = {**_leg("R", p["hip_r"], p["knee_r"] + _flat_adj(p, p["hip_r"])),
            **_leg("L", p["hip_o"], p["knee_o"] + _flat_adj(p, p["hip_o"]))}
    dn = 0.6 * p.get("_arm_down", 0.2)
    rest_r = ("joint", "upperarm01.R", [-0.18, dn, -0.6])
    rest_l = ("joint", "upperarm01.L", [0.18, dn, -0.6])
    knee_r = ("joint", "lowerleg01.R", [0.0, -0.06, -0.07])
    knee_l = ("joint", "lowerleg01.L", [0.0, -0.06, -0.07])
    aims["upperarm01.R"] = ("ik", ("mix", rest_r, knee_r, p["hand_r"]), [-0.6, 0.2, -1])
    aims["upperarm01.L"] = ("ik", ("mix", rest_l, ("mix", knee_l, knee_r, p["lh_right"]), p["hand_l"]), [0.6, 0.2, -1])
    local = combine(
        {"root": rot(Z, rock)},
        spread(Z, -0.7 * rock),
        {"spine02": rot(X, -0.8 * p["breath"])},
        spread(X, p["head_lift"], NECK),
        spread(Z, 3.0 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, SUPINE, "lying")


def _flat_adj(p: dict, hip: float) -> float:
    """The renderer's per-body knee correction (p['_knee_adj']) that rests a bent leg's sole
    on the floor; full at hip flexion <= 50 deg, fading out by 75 deg (legs in the air)."""
    return p.get("_knee_adj", 0.0) * float(np.clip((75.0 - hip) / 25.0, 0.0, 1.0))


def _foot_lift_pose(lift_m: float) -> tuple[float, float]:
    """(hip, knee) flexion that lifts a supine bent leg's foot by about lift_m (thigh 0.44 m,
    shin 0.42 m; the foot is flat at hip 50 / knee 100)."""
    best = (50.0, 100.0, 1e9)
    for hip in np.arange(50, 80.5, 0.5):
        for knee in np.arange(60, 101, 1.0):
            h = 0.44 * np.sin(np.radians(hip)) + 0.42 * np.sin(np.radians(hip - knee)) - 0.015
            if abs(h - lift_m) < best[2]:
                best = (float(hip), float(knee), abs(h - lift_m))
    return best[0], best[1]


def knee_to_chest_script(sides, mistake, style: Style | None = None, size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "knee_to_chest"
    m = mistake
    amt = mistake_amount(ex_id, m, size, st) if m else None
    unit_ = MISTAKE_SIZES[ex_id][m].unit if m else ""
    rom = st.rom
    s = _new_script(dict(hip_r=50.0, knee_r=100.0, hip_o=50.0, knee_o=100.0, hand_r=0.0, hand_l=0.0, lh_right=1.0,
                         head_lift=0.0, rock_amp=0.0,
                         rock_period=amt if m == "rocking_too_fast" else rom.get("rock_period_s", 4.5)), st)
    _begin(s, st)
    rocking_mistake = bool(m and m.startswith("rocking"))
    hip_good = rom.get("hip_deg", 118.0)
    for k, side in enumerate([] if rocking_mistake else sides):
        mm = m if k == 0 else None
        pull = dict(hip_r=amt, knee_r=110.0 if size == "just_past" else 95.0) if mm == "knee_not_near_chest" \
            else dict(hip_r=hip_good, knee_r=125.0)
        hands = dict(hand_r=1.0, hand_l=1.0)
        if mm == "hands_not_on_knee":
            hands = dict(hand_r=1.0, hand_l=0.0) if size == "just_past" else dict(hand_r=0.0, hand_l=0.0)
        other = {}
        if mm == "other_foot_lifted":
            h, kn = _foot_lift_pose(amt)
            other = dict(hip_o=h, knee_o=kn)
        t0 = s.t_s
        s.tmove(3.0, 2.0, "move", side, lh_right=1.0, **hands, **pull, **other)
        descs = {"knee_not_near_chest": "knee pulled only part of the way",
                 "hands_not_on_knee": "one hand stays on the floor" if size == "just_past" else "hands stay on the floor",
                 "other_foot_lifted": "the other foot lifts off the floor"}
        if mm in descs:
            s.mistake(mm, t0, None, amt, unit_, side, descs[mm], size)
            s.event(s.t_s, "cue", mm, side)
        if mm == "head_lifting":
            body = (lambda s_, dur, side=side, mm=mm: _hold_with_mistake(
                s_, dur, side, mm, "head_lifting", 8, 2, amt, unit_, "head lifts off the floor", size, head_lift=amt))
        else:
            body = None
        _timed_hold(s, side, mm, size, normal_s=_hold_len(st, ex_id), min_s=30, max_s=None,
                    short_s=amt if mm == "hold_too_short" else 12, long_s=None, body=body)
        if k == 0:
            _close_open_mistakes(s)
        s.tmove(3.0, 2.0, "return", side, hip_r=50.0, knee_r=100.0, hip_o=50.0, knee_o=100.0, hand_r=0.0,
                hand_l=0.0, head_lift=0.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(2, "rest")
        _pause(s, st)
    if len(sides) < 2 and not rocking_mistake:  # a one-leg clip (mistake variants): no rocking part
        s.event(s.t_s, "exercise_done")
        _place_glances(s, st, ("hold", "rest", "setup"))
        return s
    # both knees to the chest, rocking side to side
    s.tmove(3.0, 2.0, "move", None, hip_r=115.0, knee_r=125.0, hip_o=115.0, knee_o=125.0, hand_r=1.0, hand_l=1.0,
            lh_right=0.0)
    amp = amt if m == "rocking_too_big" else rom.get("rock_amp_deg", 12.0)

    def rocking(s_, dur):
        t0 = s_.t_s
        s_.move(2, "rock", None, rock_amp=amp)
        s_.hold(dur - 4, "rock", None)
        s_.move(2, "rock", None, rock_amp=0.0)
        for rule, desc in (("rocking_too_big", "rocks far to each side"), ("rocking_too_fast", "rocks quickly")):
            if m == rule:
                s_.mistake(rule, t0, s_.t_s, amt, unit_, None, desc, size)
                s_.event(t0 + 4, "cue", rule, None)
    rock_s = st.rock_s if st.rock_s is not None else 35.0
    _timed_hold(s, None, m, size, normal_s=rock_s, min_s=30, max_s=60,
                short_s=amt if m == "rocking_too_short" else 15, long_s=amt if m == "rocking_too_long" else 72,
                what="rocking", phase="rock", short_rule="rocking_too_short", long_rule="rocking_too_long", body=rocking)
    s.tmove(3.0, 2.0, "return", None, hip_r=50.0, knee_r=100.0, hip_o=50.0, knee_o=100.0, hand_r=0.0, hand_l=0.0)
    s.hold(3, "rest")
    s.event(s.t_s, "exercise_done")
    _place_glances(s, st, ("hold", "rest", "setup"))
    return s


# ============================================================================ 5. seated rotation
# side "left": turning to the left, right hand on the left knee, left hand behind (the article's
# first side); the pose function is written for turning right and mirrored.
def seated_rotation_pose(p: dict) -> PoseSpec:
    aims = {**_leg("L", 88, 90, 0.1), **_leg("R", 88, 90, 0.1)}
    w = p["hands"]
    thigh_l = ("joint", "lowerleg01.L", [0.0, 0.17, 0.09])
    thigh_r = ("joint", "lowerleg01.R", [0.0, 0.17, 0.09])
    knee_r = ("joint", "lowerleg01.R", [0.04, 0.02, 0.08])
    behind_r = ("joint", "root", [-0.17, 0.24, -0.02])
    aims["upperarm01.L"] = ("ik", ("mix", thigh_l, ("mix", knee_r, thigh_l, p["hand_bad"]), w), [0.8, 0.3, -0.5])
    aims["upperarm01.R"] = ("ik", ("mix", thigh_r, behind_r, w * (1.0 - p["back_bad"])), [-1.0, 0.3, 0.0])
    yaw = p["rot"]
    local = combine(
        {"root": rot(Z, -p["hip_turn"])},
        spread(Z, -(yaw - p["hip_turn"]) + 1.5 * p["sway"]),
        spread(X, p["slump"] + 0.8 * p["breath"]),
        spread(Y, p["tip"]),
        spread(Z, -0.25 * yaw, NECK),
        {"clavicle.L": rot(Y, -p["shrug"]), "clavicle.R": rot(Y, p["shrug"])},
    )
    return PoseSpec(aims, local, UPRIGHT, "seated")


def seated_rotation_script(sides, mistake, style: Style | None = None, size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "seated_rotation"
    m = mistake
    amt = mistake_amount(ex_id, m, size, st) if m else None
    unit_ = MISTAKE_SIZES[ex_id][m].unit if m else ""
    s = _new_script(dict(rot=0.0, hands=0.0, hand_bad=0.0, back_bad=0.0, slump=0.0, tip=0.0, shrug=0.0,
                         hip_turn=0.0), st)
    _begin(s, st)
    for k, side in enumerate(sides):
        mm = m if k == 0 else None
        hb = dict(hand_bad=1.0, back_bad=0.0 if size == "just_past" else 1.0) if mm == "hand_placement" \
            else dict(hand_bad=0.0, back_bad=0.0)
        s.tmove(2.0, 1.5, "move", side, hands=1.0, **hb)
        t0 = s.t_s
        rot_deg = amt if mm in ("rotation_too_small", "rotation_forced") else st.rom.get("rot_deg", 42.0)
        extra = dict(hip_turn=amt) if mm == "hips_turning" else {}
        if mm == "rotation_forced":
            s.move(2.0 if size == "just_past" else 1.2, "move", side, rot=rot_deg)
        else:
            s.tmove(4.0, 2.5, "move", side, rot=rot_deg, **extra)
        descs = {"rotation_too_small": "turns only a little", "rotation_forced": "forces far into the twist, quickly",
                 "hips_turning": "the hips turn with the trunk",
                 "hand_placement": "the front hand stays on the own thigh" if size == "just_past"
                 else "both hands stay on the own thighs"}
        if mm in descs:
            s.mistake(mm, t0, None, amt, unit_, side, descs[mm], size)
            s.event(s.t_s, "cue", mm, side)

        def body(s_, dur, mm=mm, side=side):
            if mm == "slumped":
                _hold_with_mistake(s_, dur, side, mm, mm, 8, 3, amt, unit_, "slumps during the hold", size, slump=amt)
            elif mm == "shoulders_tipping":
                _hold_with_mistake(s_, dur, side, mm, mm, 8, 3, amt, unit_, "leans/tips sideways during the hold", size,
                                   tip=amt)
            elif mm == "shoulders_shrugged":
                _hold_with_mistake(s_, dur, side, mm, mm, 8, 2, amt, unit_, "shoulders pulled up towards the ears",
                                   size, shrug=amt)
            else:
                s_.hold(dur, "hold", side)
        _timed_hold(s, side, mm, size, normal_s=_hold_len(st, ex_id), min_s=30, max_s=None,
                    short_s=amt if mm == "hold_too_short" else 12, long_s=None, body=body)
        if k == 0:
            _close_open_mistakes(s)
        s.tmove(4.0, 2.5, "return", side, rot=0.0, slump=0.0, tip=0.0, shrug=0.0, hip_turn=0.0)
        s.tmove(2.0, 1.5, "return", side, hands=0.0, hand_bad=0.0, back_bad=0.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(2, "rest")
        _pause(s, st)
    _side_skipped(s, m, sides, size)
    s.event(s.t_s, "exercise_done")
    _place_glances(s, st, ("hold", "rest", "setup"))
    return s


# ============================================================================ 6. passive hang
def passive_hang_pose(p: dict) -> PoseSpec:
    # grip: wrist distance = ratio x shoulder-joint distance; the renderer passes the body's
    # shoulder width and arm length (_sw, _arm); nominal values otherwise
    sw, arm = p.get("_sw", 0.34), p.get("_arm", 0.55)
    g = np.arcsin(np.clip((p["grip"] - 1.0) * sw / (2 * arm), -0.9, 0.9))
    aims = {
        "upperarm01.L": ("bend", [np.sin(g), 0.05, np.cos(g)], p["elbow"], [0.5, -1.0, 0.0]),
        "upperarm01.R": ("bend", [-np.sin(g), 0.05, np.cos(g)], p["elbow"], [-0.5, -1.0, 0.0]),
        "wrist.L": _d([0.0, -0.3, 1.0]), "wrist.R": _d([0.0, -0.3, 1.0]),
        **_leg("L", p["hip"], p["knee"], 0.04), **_leg("R", p["hip"], p["knee"], 0.04),
    }
    a = np.radians(p["ankle"])  # plantar flexion: 0 = foot at right angles to the shin
    for sd in ("L", "R"):
        aims[f"foot.{sd}"] = _d([0.0, -np.cos(a), -np.sin(a)], f"lowerleg01.{sd}")
    swing = p["swing_amp"] * np.sin(2 * np.pi * p["t"] / 2.2)
    twist = p["twist_amp"] * np.sin(2 * np.pi * p["t"] / 3.0)
    local = combine(spread(X, 0.8 * p["breath"], THORACIC), spread(Z, 2.0 * p["sway"], NECK),
                    {"clavicle.L": rot(Y, -p["shrug"]), "clavicle.R": rot(Y, p["shrug"])})
    world = rot(Z, twist) @ rot(X, swing + 1.0 * p["sway2"])
    return PoseSpec(aims, local, world, "hang")


HANG_TIPTOE_ANKLE = 70.0   # standing on the toes under the bar, hands on it (the bar is placed from this pose)
HANG_SHRUG = 12.0          # hanging passively lets the shoulders ride up (the bar is placed with it)


def passive_hang_script(sides, mistake, style: Style | None = None, size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "passive_hang"
    m = mistake
    amt = mistake_amount(ex_id, m, size, st) if m else None
    unit_ = MISTAKE_SIZES[ex_id][m].unit if m else ""
    rom = st.rom
    grip = amt if m == "grip_width" else rom.get("grip_ratio", 1.1)
    flat = m == "feet_on_ground" and size == "obvious"   # a bar at standing reach: feet flat under it
    stand = dict(grip=grip, elbow=0.0, hip=0.0, knee=0.0, ankle=0.0 if flat else HANG_TIPTOE_ANKLE, shrug=HANG_SHRUG,
                 swing_amp=0.0, twist_amp=0.0)
    hang = dict(shrug=HANG_SHRUG, hip=0.0, knee=rom.get("knee_deg", 2.0), ankle=rom.get("ankle_deg", 25.0))
    if hang["knee"] > 8:
        hang["hip"] = 0.4 * hang["knee"]
    if m == "feet_on_ground":
        hang = dict(shrug=HANG_SHRUG, hip=0.0, knee=5.0 if flat else 0.0, ankle=stand["ankle"])
    if st.start_in_position and m != "feet_on_ground":
        s = _new_script({**stand, **hang}, st)
        s.ref_params = dict(stand)       # the bar is where a person on tiptoe reaches
        s.hold(0.3, "setup")
    else:
        s = _new_script(stand, st)
        s.hold(3, "setup")
        t0 = s.t_s
        s.tmove(2.5, 1.5, "move", None, **hang)
    if m == "feet_on_ground":
        s.mistake(m, t0, None, amt, unit_, None, "toes still touch the floor, heels up" if size == "just_past"
                  else "feet stay flat on the floor during the hang", size)
        s.event(s.t_s + 2, "cue", m, None)
    if m == "grip_width":
        s.mistake(m, 0, None, amt, unit_, None, "hands far wider than the shoulders", size)
        s.event(min(2.0, s.t_s), "cue", m, None)

    def body(s_, dur):
        if m == "elbows_bent":
            _hold_with_mistake(s_, dur, None, m, m, 5, 2, amt, unit_, "pulls up with bent elbows", size, elbow=amt)
        elif m == "swinging":
            _hold_with_mistake(s_, dur, None, m, m, 5, 3, amt, unit_, "swings back and forth (2.2 s period)", size,
                               swing_amp=amt)
        elif m == "twisting":
            _hold_with_mistake(s_, dur, None, m, m, 5, 3, amt, unit_, "twists left and right (3 s period)", size,
                               twist_amp=amt)
        else:
            s_.hold(dur, "hold", None)
    _timed_hold(s, None, m, size, normal_s=_hold_len(st, ex_id), min_s=20, max_s=30,
                short_s=amt if m == "hold_too_short" else 10, long_s=amt if m == "hold_too_long" else 40, body=body)
    s.tmove(2.5, 1.5, "return", None, hip=0.0, knee=0.0, elbow=0.0, swing_amp=0.0, twist_amp=0.0,
            ankle=stand["ankle"])
    s.hold(2, "rest")
    s.event(s.t_s, "exercise_done")
    return s


# ============================================================================ 7. crossed-leg rotation
# side "right": right leg crossed over the left, both knees lowered to the left.
def crossed_leg_rotation_pose(p: dict) -> PoseSpec:
    c = p["cross"]
    adj = p.get("_knee_adj", 0.0)
    top = _leg("R", 55 + 15 * c, 100 - 10 * c + adj * (1 - c), 0.06, turn=p["drop_top"],
               extra=np.array([0.42 * c, -0.05 * c, 0.0]))
    # the bottom foot stays planted while its knee drops: two-bone IK to the neutral ankle
    # position, the knee swung towards the dropped direction
    flat = _leg("L", 50, 100 + adj, 0.06)
    thigh_len, shin_len = p.get("_thigh", 0.44), p.get("_shin", 0.42)
    ankle = thigh_len * flat["upperleg01.L"][1] + shin_len * flat["lowerleg01.L"][1]
    hip_l = np.asarray(p.get("_hip_L", [0.09, 0.0, 0.0]), float)   # rest position: the pelvis roll does not move the foot
    bottom = {"upperleg01.L": ("ik", ("point", hip_l + ankle), rot(Z, p["drop"]) @ flat["upperleg01.L"][1]),
              "foot.L": _d([0.0, 0.25, -1.0])}   # the sole stays flat on the floor
    arms = _supine_arms(70.0, p.get("_arm_down", 0.15))
    # a lifting right shoulder rolls the trunk onto the left one: the left arm slopes less
    arms.update({k: v for k, v in _supine_arms(70.0, p.get("_arm_down", 0.15) - 0.003 * p["lift"]).items()
                 if k.endswith(".L")})
    aims = {**top, **bottom, **arms}
    local = combine(
        {"root": rot(Z, p["roll"])},
        spread(Z, -p["roll"] + p["lift"]),
        {"spine02": rot(X, -0.8 * p["breath"])},
        spread(Z, -2.0 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, SUPINE, "lying")


def crossed_leg_rotation_script(sides, mistake, style: Style | None = None, size: str = "obvious") -> Script:
    st = _style(style)
    ex_id = "crossed_leg_rotation"
    m = mistake
    amt = mistake_amount(ex_id, m, size, st) if m else None
    unit_ = MISTAKE_SIZES[ex_id][m].unit if m else ""
    s = _new_script(dict(cross=0.0, drop=0.0, drop_top=0.0, roll=0.0, lift=0.0), st)
    _begin(s, st)
    for k, side in enumerate(sides):
        mm = m if k == 0 else None
        t0 = s.t_s
        s.tmove(2.5, 1.5, "move", side, cross=amt if mm == "legs_not_crossed" else 1.0)
        if mm == "legs_not_crossed":
            s.mistake(mm, t0, None, amt, unit_, side,
                      "only the ankles hooked" if size == "just_past" else "legs side by side, not crossed", size)
            s.event(s.t_s + 2, "cue", mm, side)
        drop = amt if mm == "rotation_beyond_limit" else st.rom.get("drop_deg", 55.0)
        roll = 0.5 * drop
        top = drop - amt if mm == "knees_apart" else drop
        t0 = s.t_s
        if mm == "too_fast":
            s.move(amt, "move", side, drop=drop, drop_top=top, roll=roll)
        else:
            s.tmove(4.0, 2.5, "move", side, drop=drop, drop_top=top, roll=roll)
        descs = {"too_fast": f"knees dropped in {amt}s" if amt else "",
                 "rotation_beyond_limit": "forced far over towards the floor",
                 "knees_apart": "the top knee lags behind the lower one"}
        if mm in descs:
            s.mistake(mm, t0, None, amt, unit_, side, descs[mm], size)
            s.event(s.t_s, "cue", mm, side)
        body = (lambda s_, d, side=side, mm=mm: _hold_with_mistake(
            s_, d, side, mm, "shoulder_lifting", 8, 2, amt, unit_, "the far shoulder lifts off the floor", size,
            lift=_lift_deg(amt) if amt else 0.0))
        _timed_hold(s, side, mm, size, normal_s=_hold_len(st, "crossed_leg_rotation"), min_s=30, max_s=None,
                    short_s=amt if mm == "hold_too_short" else 12, long_s=None, body=body)
        if k == 0:
            _close_open_mistakes(s)
        s.tmove(4.0, 2.5, "return", side, drop=0.0, drop_top=0.0, roll=0.0, lift=0.0)
        s.tmove(2.5, 1.5, "return", side, cross=0.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(2, "rest")
        _pause(s, st)
    _side_skipped(s, m, sides, size)
    s.event(s.t_s, "exercise_done")
    _place_glances(s, st, ("hold", "rest", "setup"))
    return s


@dataclass(frozen=True)
class Exercise:
    id: str
    camera: str                  # camera kind, see scene.CAMERAS
    props: tuple[str, ...]       # "mat", "chair", "bar"
    sides: tuple[str, ...]       # order of sides for side="both"; () when the exercise has none
    mistakes: tuple[str, ...]
    pose: Callable[[dict], PoseSpec]
    script: Callable[..., Script]
    extras: dict = field(default_factory=dict)  # e.g. {"chair_back_top": "mid_scapula"}

    @property
    def view(self) -> str:
        return "front" if self.camera.startswith("front") else "side"

    def plan_sides(self, side: str, mistake: str | None, side_first: str | None = None) -> list[str]:
        """Sides done, in order. ``side_first`` reorders "both" (default: the exercise's order)."""
        if not self.sides:  # the side argument is ignored
            return [None]  # type: ignore[list-item]
        order = list(self.sides)
        if side_first is not None:
            if side_first not in self.sides:
                raise ValueError(f"side_first must be one of {list(self.sides)}, got {side_first!r}")
            order = [side_first] + [x for x in order if x != side_first]
        if mistake == "side_skipped":
            return [order[0]] if side == "both" else [side]
        if side == "both":
            return order
        if side not in self.sides:
            raise ValueError(f"side must be one of {['both', *self.sides]}, got {side!r}")
        return [side]


EXERCISES: dict[str, Exercise] = {}


def _register(ex: Exercise) -> None:
    EXERCISES[ex.id] = ex


_register(Exercise(
    id="lying_twist", camera="side_floor", props=("mat",), sides=("right", "left"),
    mistakes=("shoulder_lifting", "arms_not_t", "knee_not_crossing", "head_not_turned", "too_fast",
              "hold_too_short", "hold_too_long", "side_skipped"),
    pose=lying_twist_pose, script=lying_twist_script))
_register(Exercise(
    id="chair_extension", camera="side_seat", props=("chair",), sides=(),
    mistakes=("hands_not_behind_head", "feet_not_flat", "lumbar_arching", "too_fast", "hold_too_short",
              "reps_out_of_range"),
    pose=chair_extension_pose, script=chair_extension_script, extras={"chair_back_top": "mid_scapula"}))
_register(Exercise(
    id="cat_cow", camera="side_hip", props=("mat",), sides=(),
    mistakes=("wrists_not_under_shoulders", "knees_not_under_hips", "elbows_bent", "neck_overextended",
              "hips_shifting", "too_fast", "reps_out_of_range"),
    pose=cat_cow_pose, script=cat_cow_script))
_register(Exercise(
    id="knee_to_chest", camera="side_floor", props=("mat",), sides=("right", "left"),
    mistakes=("knee_not_near_chest", "hands_not_on_knee", "other_foot_lifted", "head_lifting", "rocking_too_big",
              "rocking_too_fast", "hold_too_short", "rocking_too_short", "rocking_too_long"),
    pose=knee_to_chest_pose, script=knee_to_chest_script))
_register(Exercise(
    id="seated_rotation", camera="front_chest", props=("chair",), sides=("left", "right"),
    mistakes=("slumped", "shoulders_tipping", "shoulders_shrugged", "rotation_too_small", "rotation_forced",
              "hips_turning", "hand_placement", "hold_too_short", "side_skipped"),
    pose=seated_rotation_pose, script=seated_rotation_script, extras={"chair_back_top": "low"}))
_register(Exercise(
    id="passive_hang", camera="front_bar", props=("bar",), sides=(),
    mistakes=("grip_width", "elbows_bent", "feet_on_ground", "swinging", "twisting", "hold_too_short", "hold_too_long"),
    pose=passive_hang_pose, script=passive_hang_script))
_register(Exercise(
    id="crossed_leg_rotation", camera="side_floor", props=("mat",), sides=("right", "left"),
    mistakes=("legs_not_crossed", "knees_apart", "shoulder_lifting", "too_fast", "rotation_beyond_limit",
              "hold_too_short", "side_skipped"),
    pose=crossed_leg_rotation_pose, script=crossed_leg_rotation_script))
