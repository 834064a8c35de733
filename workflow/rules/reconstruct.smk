# Not in the default target: the bundled microdata are committed. `make reconstruct` runs this and
# installs the result at editions.<year>.microdata (see data/raw/microdata/README.md).


rule reconstruct_microdata:
    message:
        "reconstruct_microdata {wildcards.edition}: microdata consistent with the published tables"
    input:
        values="results/{edition}/audit/published_values.csv",
        claims=edition_file("claims"),
        package=config["published_sources"],
        settings=edition_file("reconstruction"),
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        frame=edition_file("frame"),
        code=stage_code("reconstruct_microdata"),
    output:
        microdata="results/reconstruction/{edition}/responses.csv",
    params:
        seed=config["seed"],
    resources:
        mem_mb=1100,
        runtime=30,
    log:
        "results/reconstruction/{edition}/reconstruct.log",
    conda:
        ENV
    script:
        STAGE


rule reconstruct:
    message:
        "reconstruct: every reconstructed edition is made"
    input:
        expand("results/reconstruction/{edition}/responses.csv", edition=reconstructed_editions()),
