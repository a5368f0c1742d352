"""The physiotherapist's and the developer's tools on top of the coach: `coach explain`
(:mod:`~coach.tools.explain`), `coach eval` (:mod:`~coach.tools.scoring`), `coach calibrate`
(:mod:`~coach.tools.calibrate`) and the `coach tune` workbench (:mod:`coach.tools.tune`)."""
