"""From pictures to poses: camera, video, image-folder and landmark-file sources, the pose
estimator (the only module that imports mediapipe), the model file, the skeleton
plausibility check, smoothing, and landmark recordings. Everything downstream sees only
:class:`coach.pose.PoseFrame`."""
