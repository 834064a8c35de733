# Stage 6: the report (Quarto source reports/barometer.qmd; HTML and PDF). It reads only its inputs.


rule report:
    input:
        qmd="reports/barometer.qmd",
        estimates=f"results/{REPORT_EDITION}/estimates/estimates.csv",
        differences=f"results/{REPORT_EDITION}/estimates/differences.csv",
        claims=f"results/{REPORT_EDITION}/estimates/claims.csv",
        reproduction=f"results/{REPORT_EDITION}/estimates/reproduction.csv",
        reproduction_summary=f"results/{REPORT_EDITION}/estimates/reproduction_summary.csv",
        point_estimates=f"results/{REPORT_EDITION}/estimates/point_estimates.csv",
        source_checks=f"results/{REPORT_EDITION}/audit/source_checks.csv",
        published_values=f"results/{REPORT_EDITION}/audit/published_values.csv",
        accounting=f"results/{REPORT_EDITION}/clean/accounting.csv",
        exclusions=f"results/{REPORT_EDITION}/clean/exclusions.csv",
        diagnostics=f"results/{REPORT_EDITION}/weights/diagnostics.csv",
        variance_strata=f"results/{REPORT_EDITION}/weights/variance_strata.csv",
        cross_survey_checks="results/cross_survey/source_checks.csv",
        comparison="results/cross_survey/comparison.csv",
        cross_survey_differences="results/cross_survey/differences.csv",
        gap="results/cross_survey/gap_decomposition.csv",
        changes="results/longitudinal/changes.csv",
        codebook=config["editions"][REPORT_EDITION]["codebook"],
        strata=config["editions"][REPORT_EDITION]["strata"],
        frame=config["editions"][REPORT_EDITION]["frame"],
        figures=report_figures(".png"),
        captions=report_figures(".caption.json"),
        # the report's code cells import barometer.reporting
        code=stage_code("report", also=("barometer.reporting",)),
    output:
        html=report("results/report/barometer.html", caption="../report/report.rst", category="Report"),
        pdf="results/report/barometer.pdf",
        render="results/report/barometer.render.json",
        context="results/report/context.json",
    params:
        edition=REPORT_EDITION,
        edition_label=config["editions"][REPORT_EDITION]["label"],
        language=config["report"]["language"],
        seed=config["seed"],
        bootstrap=config["bootstrap"],
        ci=config["ci"],
        reliability=config["reliability"],
        publication=config["publication"],
        differences=config["differences"],
        gap=read_yaml(config["cross_survey"]["crosswalk"])["gap"],
        config_sha256=config_hash(config),
    resources:
        mem_mb=1600,
        runtime=5,
    log:
        "results/report/logs/report.log",
    conda:
        ENV
    script:
        STAGE
