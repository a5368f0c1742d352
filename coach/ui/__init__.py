"""What the person sees and hears: drawing (:mod:`~coach.ui.draw`), the coaching overlay
(:mod:`~coach.ui.overlay`), the session's picture (:mod:`~coach.ui.session_view`), the one
window (:mod:`~coach.ui.window`), the voice (:mod:`~coach.ui.voice`,
:mod:`~coach.ui.speech`) and the HTML reports (:mod:`~coach.ui.report`). The bundled fonts
are in ``fonts/``."""
