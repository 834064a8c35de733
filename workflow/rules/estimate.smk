# Stage 3: point estimates and their reproduction of the published numbers; bootstrap intervals,
# reliability flags and tested differences.


rule point_estimates:
    message:
        "point_estimates {wildcards.edition}: point estimates of every indicator"
    input:
        respondents="results/{edition}/clean/respondents.csv",
        weights="results/{edition}/weights/weights.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        code=stage_code("point_estimates"),
    output:
        estimates="results/{edition}/estimates/point_estimates.csv",
    params:
        domains=config["estimation"]["domains"],
        bootstrap=BOOTSTRAP,
    resources:
        mem_mb=1200,
        runtime=5,
    log:
        "results/{edition}/logs/point_estimates.log",
    conda:
        ENV
    script:
        STAGE


rule reproduce:
    message:
        "reproduce {wildcards.edition}: the published numbers next to the estimates"
    input:
        values="results/{edition}/audit/published_values.csv",
        estimates="results/{edition}/estimates/point_estimates.csv",
        respondents="results/{edition}/clean/respondents.csv",
        code=stage_code("reproduce"),
    output:
        table=report("results/{edition}/estimates/reproduction.csv", caption="../report/reproduction.rst", category="Reproduction"),
        summary="results/{edition}/estimates/reproduction_summary.csv",
    params:
        tolerances=config["reproduction"],
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/{edition}/logs/reproduce.log",
    conda:
        ENV
    script:
        STAGE


rule bootstrap_estimates:
    message:
        "bootstrap_estimates {wildcards.edition}: {params.bootstrap[replicates]} bootstrap replicates; intervals, flags, differences, claims"
    input:
        respondents="results/{edition}/clean/respondents.csv",
        weights="results/{edition}/weights/weights.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        claims=edition_file("claims"),
        package=config["published_sources"],
        origin="results/{edition}/clean/origin.csv",
        # bounds from the published record (rules/identify.smk), merged for the bundled reconstruction
        bounds=lambda w: identification_files(w.edition).get("bounds", []),
        difference_bounds=lambda w: identification_files(w.edition).get("difference_bounds", []),
        code=stage_code("bootstrap_estimates"),
    output:
        estimates=report("results/{edition}/estimates/estimates.csv", caption="../report/estimates.rst", category="Estimates"),
        differences=report("results/{edition}/estimates/differences.csv", caption="../report/differences.rst", category="Estimates"),
        claims="results/{edition}/estimates/claims.csv",
        variance_strata="results/{edition}/weights/variance_strata.csv",
    threads: BOOTSTRAP_THREADS  # replicate blocks run on the job's threads (workflow/scripts/stage.py)
    params:
        seed=config["seed"],
        domains=config["estimation"]["domains"],
        bootstrap=BOOTSTRAP,
        ci=config["ci"],
        reliability=config["reliability"],
        publication=config["publication"],
        differences=config["differences"],
    resources:
        mem_mb=1100,
        runtime=5,
    log:
        "results/{edition}/logs/bootstrap_estimates.log",
    conda:
        ENV
    script:
        STAGE


rule replicate_weights:
    message:
        "replicate_weights {wildcards.edition}: the first {params.bootstrap[export_replicates]} replicate weights -> {output.weights}"
    input:
        respondents="results/{edition}/clean/respondents.csv",
        weights="results/{edition}/weights/weights.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        code=stage_code("replicate_weights"),
    output:
        weights="results/{edition}/weights/replicate_weights.{format}",
        meta="results/{edition}/weights/replicate_weights.{format}.json",
    wildcard_constraints:
        format="parquet|csv",
    params:
        seed=config["seed"],
        bootstrap=config["bootstrap"],
    resources:
        mem_mb=1500,
        runtime=10,
    log:
        "results/{edition}/logs/replicate_weights_{format}.log",
    conda:
        ENV
    script:
        STAGE
