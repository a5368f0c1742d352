"""The physiotherapist workbench: tune thresholds on a recording, save a patient profile.

``coach tune`` serves a local page (127.0.0.1 only) over :mod:`coach.tools.tune.server`; the
re-evaluation behind it is :class:`coach.tools.tune.workbench.Workbench`; profiles are
written by :mod:`coach.tools.tune.profiles`; landmarks of a video are extracted once by
:mod:`coach.tools.tune.cache`; the page itself is the template ``templates/page.html``.
"""
