"""Design-based estimation for stratified single-stage samples, in the spirit of R's ``survey``.

A design carries the strata, their population counts, the weights and its variance method; the
estimators do not care whether the variance comes from linearisation or replicate weights::

    d = StratifiedDesign.from_sample(strata, N, singleton="collapse", collapse_with={"a": "b"})
    rd = d.with_replicates(RescaledBootstrap(replicates=10_000, seed=s, stream=(2021,)))
    est = estimate(rd, values, domains, kinds)   # bootstrap variance for rd, Taylor for d; Taylor always kept
    est.contrast(first, second)
    est.table(ci="korn_graubard", level=0.95, standard=NCHS())

This package imports nothing else of the project (a test enforces it), so it can be lifted out and
used on any stratified survey. Its one error type is ``SurveyError``.
"""

from .contrasts import adjust, adjusted_interval, independent_difference, t_test, tost
from .design import StratifiedDesign
from .errors import SurveyError
from .estimation import Contrast, Estimates, PartitionedEstimates, estimate, estimate_partitioned
from .reliability import NCHS, STANDARDS, CVRule
from .replicates import RescaledBootstrap, replicate_weights

__all__ = [
    "NCHS", "STANDARDS", "Contrast", "CVRule", "Estimates", "PartitionedEstimates", "RescaledBootstrap",
    "StratifiedDesign", "SurveyError", "adjust", "adjusted_interval", "estimate", "estimate_partitioned",
    "independent_difference", "replicate_weights", "t_test", "tost",
]
