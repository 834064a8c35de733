# Stage 1: the raw export -> usable respondents (pseudonymised) and every excluded record with its reason.


rule clean:
    message:
        "clean {wildcards.edition}: raw export -> usable respondents and excluded records"
    input:
        microdata=lambda wc: edition(wc)["microdata"],
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        code=stage_code("clean"),
    output:
        respondents="results/{edition}/clean/respondents.csv",
        exclusions=report("results/{edition}/clean/exclusions.csv", caption="../report/exclusions.rst", category="Audit"),
        accounting="results/{edition}/clean/accounting.csv",
        origin="results/{edition}/clean/origin.csv",
    params:
        cleaning=config["cleaning"],
        pseudonymisation=config["pseudonymisation"],
        # the sha256 of the bundled reconstruction: only that file may use the public default salt
        bundled_sha256=lambda wc: edition(wc).get("bundled_sha256", ""),
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/{edition}/logs/clean.log",
    conda:
        ENV
    script:
        STAGE
