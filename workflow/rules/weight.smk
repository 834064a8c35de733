# Stage 2: stratum weights N_h / n_h, diagnostics per stratum, and the whole sample's summary.


rule weight:
    message:
        "weight {wildcards.edition}: stratum weights N_h / n_h"
    input:
        respondents="results/{edition}/clean/respondents.csv",
        strata=edition_file("strata"),
        frame=edition_file("frame"),
        code=stage_code("weight"),
    output:
        weights="results/{edition}/weights/weights.csv",
        diagnostics=report("results/{edition}/weights/diagnostics.csv", caption="../report/weights.rst", category="Weights"),
        summary="results/{edition}/weights/summary.csv",
    params:
        weighting=config["weighting"],
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/{edition}/logs/weight.log",
    conda:
        ENV
    script:
        STAGE
