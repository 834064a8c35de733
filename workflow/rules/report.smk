# Stage 6: the report (Quarto source reports/barometer.qmd; HTML and PDF), once per language of
# report.languages from the same source: results/report/barometer.html (English), barometer_nl.html
# (Dutch). It reads only its inputs.


rule report:
    message:
        "report: rendering results/report/barometer.html and .pdf"
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
        weight_summary=f"results/{REPORT_EDITION}/weights/summary.csv",
        origin=f"results/{REPORT_EDITION}/clean/origin.csv",
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
        svgs=report_figures(".svg"),
        captions=report_figures(".caption.json"),
        # the published sources (readable names, citations), the crosswalk (labels), the report's
        # reference list and the software's own citation
        sources="data/raw/published/sources.csv",
        crosswalk=config["cross_survey"]["crosswalk"],
        references="reports/references.yaml",
        citation="CITATION.cff",
        # the report's code cells import barometer.reporting
        code=stage_code("report", also=("barometer.reporting",)),
    output:
        html=report("results/report/{document}.html", caption="../report/report.rst", category="Report"),
        pdf="results/report/{document}.pdf",
        render="results/report/{document}.render.json",
        context="results/report/{document}.context.json",
    wildcard_constraints:
        document="|".join(REPORTS),
    params:
        edition=REPORT_EDITION,
        edition_label=config["editions"][REPORT_EDITION]["label"],
        fieldwork=config["editions"][REPORT_EDITION].get("fieldwork", ""),
        language=report_language,
        reproduction=config["reproduction"],
        seed=config["seed"],
        bootstrap=BOOTSTRAP,
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
        "results/report/logs/{document}.log",
    conda:
        ENV
    script:
        STAGE


# The data dictionary: results/datapackage.json, a Frictionless descriptor of every output above,
# generated from the hand-written catalogue docs/data_dictionary.yaml (README, "What the workflow
# produces"). It checks each table's columns against the catalogue.
rule data_dictionary:
    message:
        "data_dictionary: results/datapackage.json from docs/data_dictionary.yaml"
    input:
        catalogue="docs/data_dictionary.yaml",
        files=described_outputs(),
        codebooks=[config["editions"][e]["codebook"] for e in EDITIONS],
        code=stage_code("data_dictionary"),
    output:
        package="results/datapackage.json",
    params:
        codebooks={e: config["editions"][e]["codebook"] for e in EDITIONS},
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "results/logs/data_dictionary.log",
    conda:
        ENV
    script:
        STAGE
