# Stage 0: the published figures, checked for internal consistency and corrected only by errata.


rule validate_sources:
    message:
        "validate_sources {wildcards.edition}: consistency checks of the published figures"
    input:
        published=edition_file("published"),
        package=config["published_sources"],
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        frame=edition_file("frame"),
        errata=edition_file("errata"),
        source_checks=edition_file("source_checks"),
        code=stage_code("validate_sources"),
    output:
        checks=report("results/{edition}/audit/source_checks.csv", caption="../report/source_checks.rst", category="Audit"),
        values="results/{edition}/audit/published_values.csv",
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/{edition}/logs/validate_sources.log",
    conda:
        ENV
    script:
        STAGE
