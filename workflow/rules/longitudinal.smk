# Stage 5: the editions side by side (indicators matched on their stable ids).

rule longitudinal:
    message:
        "longitudinal: the editions side by side"
    input:
        estimates=expand("results/{edition}/estimates/estimates.csv", edition=EDITIONS),
        codebooks=[config["editions"][e]["codebook"] for e in EDITIONS],
        package=config["published_sources"],
        code=stage_code("longitudinal"),
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
