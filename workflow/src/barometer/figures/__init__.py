"""Figures of the report: one module per figure, each with a ``draw(data) -> FigureResult``.

Every figure shows design-based intervals, marks unreliable cells, states its base N in the caption,
uses the colour-blind-safe palette and style of ``style.py``, takes its labels from the codebook in
the configured language, and is saved without run-dependent bytes (``style.save``).
"""
