"""The guided session's logic: the controller (introduction, framing, coaching, symptom
question, pause / skip / stop), the "can I see you?" check, keys, the programme and answers
files, the screening and other safety rules, the local state folder and the history of
sessions. No window, no voice, no video here: those are in :mod:`coach.ui`, and the whole
is put together by :mod:`coach.pipeline.guided`."""
