"""The one error type of the survey library: a design or a request it cannot estimate, in plain words."""

from __future__ import annotations


class SurveyError(ValueError):
    """A design, data or option the estimators cannot use (a stratum without a population count, a
    weight that is not a positive number, an unknown interval method, ...). The message says what is
    wrong and how to fix it; callers show it without a traceback."""
