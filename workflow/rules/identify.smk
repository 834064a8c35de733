# Stage 3b: what the published record alone supports. For an edition with published values, bounds
# of every estimate, difference and harmonised domain over all data sets consistent with them
# (docs/identification.md). The estimate stages attach them when the data are the bundled
# reconstruction; on supplied microdata every number says 'microdata'.


rule identify:
    message:
        "identify {wildcards.edition}: bounds from the published record (linear programs)"
    input:
        values="results/{edition}/audit/published_values.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        frame=edition_file("frame"),
        crosswalk=config["cross_survey"]["crosswalk"],
        code=stage_code("identify"),
    output:
        bounds="results/{edition}/identification/bounds.csv",
        differences="results/{edition}/identification/difference_bounds.csv",
        harmonised="results/{edition}/identification/harmonised_bounds.csv",
    params:
        domains=config["estimation"]["domains"],
        differences=config["differences"]["dimensions"],
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/{edition}/logs/identify.log",
    conda:
        ENV
    script:
        STAGE
