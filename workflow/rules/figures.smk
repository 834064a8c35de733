# Stage 5: the figures, one job per figure (barometer/figures/catalogue.py lists them): Figures 1-12
# and Tables 3-5 of the report for every edition, the cross-survey figures and the editions side by
# side. A figure is drawn by the module of barometer.figures its wildcard names; editing that module
# reruns only that figure, editing the shared code reruns them all. Each job draws its figure in
# every report language (report.languages), into results/.../figures/<language>/: one job per figure
# rather than per figure and language, as importing the plotting stack costs more than drawing.


rule figure:
    message:
        "figure {wildcards.edition} {wildcards.figure}"
    input:
        estimates="results/{edition}/estimates/estimates.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        code=stage_code("figure"),
        figure_code=figure_code,
    output:
        png=report(figure_outputs("results/{edition}", "png"), caption="../report/figures.rst", category="Figures"),
        svg=figure_outputs("results/{edition}", "svg"),
        caption=figure_outputs("results/{edition}", "caption.json"),
    params:
        languages=LANGUAGES,
        level=config["ci"]["level"],
    wildcard_constraints:
        figure="|".join(catalogue.names("edition")),
    resources:
        mem_mb=1000,
        runtime=1,
    # all figure jobs go to the cluster as one job (profiles/slurm: group-components)
    group:
        "figures"
    log:
        "results/{edition}/logs/figures/{figure}.log",
    conda:
        ENV
    script:
        STAGE


rule cross_survey_figure:
    message:
        "cross_survey_figure {wildcards.figure}"
    input:
        comparison="results/cross_survey/comparison.csv",
        differences="results/cross_survey/differences.csv",
        package=config["published_sources"],
        crosswalk=config["cross_survey"]["crosswalk"],
        estimates=f"results/{CROSSWALK_EDITION}/estimates/estimates.csv",
        codebook=config["editions"][CROSSWALK_EDITION]["codebook"],
        strata=config["editions"][CROSSWALK_EDITION]["strata"],
        code=stage_code("cross_survey_figure"),
        figure_code=figure_code,
    output:
        png=report(figure_outputs("results/cross_survey", "png"), caption="../report/figures.rst", category="Figures"),
        svg=figure_outputs("results/cross_survey", "svg"),
        caption=figure_outputs("results/cross_survey", "caption.json"),
    params:
        languages=LANGUAGES,
        level=config["ci"]["level"],
        edition=CROSSWALK_EDITION,
    wildcard_constraints:
        figure="|".join(catalogue.names("cross_survey")),
    resources:
        mem_mb=1000,
        runtime=1,
    # all figure jobs go to the cluster as one job (profiles/slurm: group-components)
    group:
        "figures"
    log:
        "results/cross_survey/logs/figures/{figure}.log",
    conda:
        ENV
    script:
        STAGE


rule longitudinal_figure:
    message:
        "longitudinal_figure {wildcards.figure}"
    input:
        series="results/longitudinal/editions.csv",
        changes="results/longitudinal/changes.csv",
        package=config["published_sources"],
        estimates=f"results/{CROSSWALK_EDITION}/estimates/estimates.csv",
        codebook=config["editions"][CROSSWALK_EDITION]["codebook"],
        strata=config["editions"][CROSSWALK_EDITION]["strata"],
        code=stage_code("longitudinal_figure"),
        figure_code=figure_code,
    output:
        png=report(figure_outputs("results/longitudinal", "png"), caption="../report/figures.rst", category="Figures"),
        svg=figure_outputs("results/longitudinal", "svg"),
        caption=figure_outputs("results/longitudinal", "caption.json"),
    params:
        languages=LANGUAGES,
        level=config["ci"]["level"],
        edition=CROSSWALK_EDITION,
    wildcard_constraints:
        figure="|".join(catalogue.names("longitudinal")),
    resources:
        mem_mb=1000,
        runtime=1,
    # all figure jobs go to the cluster as one job (profiles/slurm: group-components)
    group:
        "figures"
    log:
        "results/longitudinal/logs/figures/{figure}.log",
    conda:
        ENV
    script:
        STAGE
