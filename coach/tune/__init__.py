"""The physiotherapist workbench: tune thresholds on a recording, save a patient profile.

``coach tune`` serves a local page (127.0.0.1 only) over :mod:`coach.tune.server`; the
re-evaluation behind it is :class:`coach.tune.evaluate.Workbench`; profiles are written by
:mod:`coach.tune.profiles`; landmarks of a video are extracted once by :mod:`coach.tune.cache`.
"""

from coach.tune.evaluate import Evaluation, Param, TuneError, Workbench

__all__ = ["Evaluation", "Param", "TuneError", "Workbench"]
