# Stage 5: the figures, one job per figure (barometer/figures/catalogue.py lists them): Figures 1-12
# and Tables 3-5 of the report for every edition, the cross-survey figures and the editions side by
# side. A figure is drawn by the module of barometer.figures its wildcard names; editing that module
# reruns only that figure, editing the shared code reruns them all.


rule figure:
    input:
        estimates="results/{edition}/estimates/estimates.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        code=stage_code("figure"),
        figure_code=figure_code,
    output:
        png=report("results/{edition}/figures/{figure}.png", caption="../report/figures.rst", category="Figures"),
        svg="results/{edition}/figures/{figure}.svg",
        caption="results/{edition}/figures/{figure}.caption.json",
    params:
        language=config["report"]["language"],
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
        png=report("results/cross_survey/figures/{figure}.png", caption="../report/figures.rst", category="Figures"),
        svg="results/cross_survey/figures/{figure}.svg",
        caption="results/cross_survey/figures/{figure}.caption.json",
    params:
        language=config["report"]["language"],
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
        png=report("results/longitudinal/figures/{figure}.png", caption="../report/figures.rst", category="Figures"),
        svg="results/longitudinal/figures/{figure}.svg",
        caption="results/longitudinal/figures/{figure}.caption.json",
    params:
        language=config["report"]["language"],
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
