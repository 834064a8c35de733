# Stage 4: the Barometer next to Eurostat, Statbel, its later editions, Kyndryl and TOPdesk.


rule validate_cross_survey_sources:
    message:
        "validate_cross_survey_sources: consistency checks of the other surveys' figures"
    input:
        values="data/raw/published/cross_survey.csv",
        package=config["published_sources"],
        checks=config["cross_survey"]["checks"],
        errata=config["cross_survey"]["errata"],
        code=stage_code("validate_cross_survey_sources"),
    output:
        checks=report("results/cross_survey/source_checks.csv", caption="../report/cross_survey_checks.rst", category="Audit"),
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/cross_survey/logs/validate_cross_survey_sources.log",
    conda:
        ENV
    script:
        STAGE


rule compare_surveys:
    message:
        "compare_surveys: the Barometer next to the other surveys"
    input:
        checks="results/cross_survey/source_checks.csv",
        package=config["published_sources"],
        crosswalk=config["cross_survey"]["crosswalk"],
        respondents=f"results/{CROSSWALK_EDITION}/clean/respondents.csv",
        weights=f"results/{CROSSWALK_EDITION}/weights/weights.csv",
        codebook=config["editions"][CROSSWALK_EDITION]["codebook"],
        strata=config["editions"][CROSSWALK_EDITION]["strata"],
        published_values=f"results/{CROSSWALK_EDITION}/audit/published_values.csv",
        origin=f"results/{CROSSWALK_EDITION}/clean/origin.csv",
        harmonised_bounds=identification_files(CROSSWALK_EDITION).get("harmonised_bounds", []),
        code=stage_code("compare_surveys"),
    output:
        harmonised="results/cross_survey/harmonised_estimates.csv",
        comparison=report("results/cross_survey/comparison.csv", caption="../report/comparison.rst", category="Cross-survey"),
        differences="results/cross_survey/differences.csv",
        gap="results/cross_survey/gap_decomposition.csv",
    threads: BOOTSTRAP_THREADS
    params:
        seed=config["seed"],
        bootstrap=BOOTSTRAP,
        ci=config["ci"],
        reliability=config["reliability"],
        publication=config["publication"],
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/cross_survey/logs/compare_surveys.log",
    conda:
        ENV
    script:
        STAGE
