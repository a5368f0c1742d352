"""One pipeline for camera, video and landmark replay, only the source differs: the frame
loop (:mod:`~coach.pipeline.loop`), the event log and annotated video
(:mod:`~coach.pipeline.sinks`), and the wiring of a run for `coach replay` / `coach live`
(:mod:`~coach.pipeline.runner`) and `coach session` (:mod:`~coach.pipeline.guided`)."""
