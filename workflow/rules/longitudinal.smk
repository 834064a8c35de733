# Stage 5: the editions side by side (indicators matched on their stable ids).

LONGITUDINAL_FIGURES = expand("results/longitudinal/figures/lg_editions.{ext}", ext=["png", "svg", "caption.json"])


rule longitudinal:
    input:
        estimates=expand("results/{edition}/estimates/estimates.csv", edition=EDITIONS),
        codebooks=[config["editions"][e]["codebook"] for e in EDITIONS],
        package=config["published_sources"],
        code=code("longitudinal.py"),
    output:
        changes=report("results/longitudinal/changes.csv", caption="../report/longitudinal.rst", category="Longitudinal"),
        series="results/longitudinal/editions.csv",
    params:
        editions=EDITIONS,
        level=config["ci"]["level"],
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/longitudinal/logs/longitudinal.log",
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
        code=code("figures/lg_editions.py"),
        shared=FIGURE_CODE,
    output:
        png=report("results/longitudinal/figures/{figure}.png", caption="../report/figures.rst", category="Figures"),
        svg="results/longitudinal/figures/{figure}.svg",
        caption="results/longitudinal/figures/{figure}.caption.json",
    params:
        language=config["report"]["language"],
        edition=CROSSWALK_EDITION,
    wildcard_constraints:
        figure="lg_editions",
    resources:
        mem_mb=1000,
        runtime=1,
    group:
        "figures"
    log:
        "results/longitudinal/logs/figures/{figure}.log",
    conda:
        ENV
    script:
        FIGURE
