"""Motion scripts: key poses on a timeline, smooth interpolation, truth bookkeeping.

A script is a list of segments over named scalar parameters (angles in degrees, fractions,
metres). ``Script.move`` ramps parameters to new values with an ease-in-out curve,
``Script.hold`` keeps them. Each segment carries the true phase (setup, move, hold,
return, rest, lean, cow, cat, rock, ...), the side and the rep number, so the phase truth
comes from the same numbers that drive the body. Mistakes and the events a perfect
coach would raise are recorded on the script as it is built.

Pose functions turn a parameter dict into a ``PoseSpec`` for the person's right side;
``mirror`` turns it into the left side. Numpy only: no torch needed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coach.synth.geometry import MIRROR_X, smoothstep


@dataclass
class Segment:
    t0_s: float
    t1_s: float
    start: dict[str, float]
    end: dict[str, float]
    phase: str
    side: str | None
    rep: int | None = None


@dataclass
class Script:
    """A timeline of parameter values plus the truth that goes with it."""

    params: dict[str, float]
    segments: list[Segment] = field(default_factory=list)
    mistakes: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tempo: float = 1.0           # multiplies movement durations (see ``tmove``)
    glances: list[tuple[float, float]] = field(default_factory=list)  # (start_s, end_s): head turned to the camera
    ref_params: dict[str, float] | None = None  # the pose that calibrates placement (default: the first pose)

    def __post_init__(self) -> None:
        self.initial = dict(self.params)

    @property
    def t_s(self) -> float:
        return self.segments[-1].t1_s if self.segments else 0.0

    def move(self, dur_s: float, phase: str, side: str | None = None, rep: int | None = None,
             **targets: float) -> "Script":
        unknown = set(targets) - set(self.params)
        if unknown:
            raise KeyError(f"unknown motion parameters {sorted(unknown)}; expecting one of {sorted(self.params)}")
        start = dict(self.params)
        self.params.update(targets)
        self.segments.append(Segment(self.t_s, self.t_s + dur_s, start, dict(self.params), phase, side, rep))
        return self

    def hold(self, dur_s: float, phase: str, side: str | None = None, rep: int | None = None) -> "Script":
        return self.move(dur_s, phase, side, rep)

    def tmove(self, dur_s: float, min_s: float, phase: str, side: str | None = None, rep: int | None = None,
              **targets: float) -> "Script":
        """A movement whose duration follows the person's tempo, but never below ``min_s``
        (the article's calm pace)."""
        return self.move(max(min_s, dur_s * self.tempo), phase, side, rep, **targets)

    def frame_count(self, fps: float) -> int:
        return int(np.ceil(self.t_s * fps - 1e-6))

    def pad_to_frames(self, fps: float) -> "Script":
        """End the script on a whole frame (a rest of less than one frame), so every phase and
        event lies inside the video of ``frame_count(fps)`` frames."""
        pad = self.frame_count(fps) / fps - self.t_s
        if pad > 1e-9:
            last = self.segments[-1] if self.segments else None
            if last is not None and last.phase == "rest":
                self.hold(pad, "rest", last.side, last.rep)
            else:
                self.hold(pad, "rest")
        return self

    def glance(self, t_s: float, dur_s: float) -> None:
        self.glances.append((float(t_s), float(t_s + dur_s)))

    def glance_weight(self, t_s: float, ramp_s: float = 0.4) -> float:
        """0..1: how far the head is turned towards the camera at t_s."""
        w = 0.0
        for a, b in self.glances:
            if a <= t_s <= b:
                w = max(w, float(smoothstep(min((t_s - a) / ramp_s, (b - t_s) / ramp_s))))
        return w

    def at(self, t_s: float) -> tuple[dict[str, float], Segment]:
        """Parameter values and the segment at time t_s (clamped to the script)."""
        seg = self.segments[-1]
        for s in self.segments:
            if t_s < s.t1_s:
                seg = s
                break
        u = 1.0 if seg.t1_s <= seg.t0_s else float(smoothstep((t_s - seg.t0_s) / (seg.t1_s - seg.t0_s)))
        return {k: seg.start[k] + (seg.end[k] - seg.start[k]) * u for k in seg.end}, seg

    def mistake(self, rule: str, onset_s: float, end_s: float | None, amount: float, unit: str,
                side: str | None, description: str, size: str = "obvious") -> None:
        """Record a mistake: ``size`` is "just_past" or "obvious", ``amount`` the physical size in ``unit``."""
        self.mistakes.append(dict(rule=rule, side=side, onset_ms=round(onset_s * 1000),
                                  end_ms=None if end_s is None else round(end_s * 1000),
                                  size=size, amount=round(float(amount), 3), unit=unit, description=description))

    def event(self, t_s: float, kind: str, rule: str | None = None, side: str | None = None, **detail) -> None:
        e = dict(time_ms=round(t_s * 1000), kind=kind, rule=rule, side=side)
        e.update(detail)
        self.events.append(e)

    def phases(self) -> list[dict]:
        """Merged runs of equal (phase, side, rep) as truth entries."""
        out: list[dict] = []
        for s in self.segments:
            if s.t1_s <= s.t0_s:
                continue
            if out and (out[-1]["phase"], out[-1]["side"], out[-1]["rep"]) == (s.phase, s.side, s.rep):
                out[-1]["end_ms"] = round(s.t1_s * 1000)
            else:
                out.append(dict(phase=s.phase, side=s.side, rep=s.rep,
                                start_ms=round(s.t0_s * 1000), end_ms=round(s.t1_s * 1000)))
        return out


@dataclass
class PoseSpec:
    """What a pose function returns (person's right side; ``mirror`` gives the left).

    aims / local: see ``Body.solve``; world_rot: body frame -> world rotation;
    anchor: how the renderer places the body in the room ("lying", "seated",
    "all_fours", "hang", "standing"); offset_m: body-frame shift of the whole body
    (e.g. hips sliding forward on a seat); extras: anchor-specific numbers.
    """

    aims: dict
    local: dict
    world_rot: np.ndarray
    anchor: str
    offset_m: np.ndarray = field(default_factory=lambda: np.zeros(3))
    extras: dict = field(default_factory=dict)


def _swap(name: str) -> str:
    if name.endswith(".L"):
        return name[:-2] + ".R"
    if name.endswith(".R"):
        return name[:-2] + ".L"
    return name


def _mirror_target(t):
    if t[0] == "point":
        return ("point", MIRROR_X @ np.asarray(t[1], float))
    if t[0] == "joint":
        return ("joint", _swap(t[1]), MIRROR_X @ np.asarray(t[2], float))
    if t[0] == "mix":
        return ("mix", _mirror_target(t[1]), _mirror_target(t[2]), t[3])
    raise ValueError(t[0])


def mirror(spec: PoseSpec) -> PoseSpec:
    """The same pose done on the other side of the body (left <-> right)."""
    m = MIRROR_X
    aims = {}
    for bone, a in spec.aims.items():
        if a[0] == "dir":
            aims[_swap(bone)] = ("dir", m @ np.asarray(a[1], float), _swap(a[2]) if a[2] else None)
        elif a[0] == "ik":
            aims[_swap(bone)] = ("ik", _mirror_target(a[1]), m @ np.asarray(a[2], float))
        elif a[0] == "bend":
            frame = _swap(a[4]) if len(a) > 4 and a[4] else None
            aims[_swap(bone)] = ("bend", m @ np.asarray(a[1], float), a[2], m @ np.asarray(a[3], float), frame)
        else:
            aims[_swap(bone)] = _mirror_target(a)
    local = {_swap(b): m @ r @ m for b, r in spec.local.items()}
    extras = dict(spec.extras)
    if "world_aims" in extras:
        extras["world_aims"] = {_swap(b): m @ np.asarray(w, float) for b, w in extras["world_aims"].items()}
    if "world_bend" in extras:
        extras["world_bend"] = {_swap(b): (m @ np.asarray(w, float), fl, m @ np.asarray(pl, float))
                                for b, (w, fl, pl) in extras["world_bend"].items()}
    return PoseSpec(aims, local, m @ spec.world_rot @ m, spec.anchor, m @ spec.offset_m, extras)


def breathing(t_s: np.ndarray | float, period_s: float = 5.0, phase: float = 0.0):
    """-1..1 breathing signal."""
    return np.sin(2 * np.pi * np.asarray(t_s) / period_s + phase)


def sway(t_s: np.ndarray | float, seed: int, k: int = 0):
    """Smooth, slow, quasi-random -1..1 signal (sum of three incommensurate sines)."""
    rng = np.random.default_rng(seed * 97 + k)
    f = rng.uniform(0.05, 0.25, 3)
    ph = rng.uniform(0, 2 * np.pi, 3)
    t = np.asarray(t_s, dtype=np.float64)
    return sum(np.sin(2 * np.pi * fi * t + pi) for fi, pi in zip(f, ph)) / 3.0
