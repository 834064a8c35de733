"""Design-based re-analysis of the Flemish AI-Barometer business survey.

The package holds every statistic and every piece of I/O the Snakemake workflow runs; the rules in
workflow/rules/ only call into it. Import what you need from the submodules, e.g.
``from barometer.survey import StratifiedDesign``. The statistics are the library
``barometer.survey``; the workflow's stages are ``barometer.stages``.
"""

__version__ = "0.1.0"
