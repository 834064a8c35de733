# Stage 5: the figures. One job per figure: Figures 1-12 and Tables 3-5 of the report for every
# edition, and the cross-survey figures. A figure is a module of barometer.figures (its `draw`);
# editing one module reruns only that figure, editing the shared code reruns them all.
import ast

from barometer.codebook import Codebook

EDITION_FIGURES = [
    "fig01_adoption", "fig02_technologies", "fig03_potential", "fig04_barriers", "fig05_knowledge",
    "fig06_applications", "fig07_sources", "fig08_budget", "fig09_impact", "fig10_employment_low",
    "fig11_employment_high", "fig12_policy", "table3_sectors", "table4_sizes", "table5_applications",
]
CROSS_SURVEY_FIGURES = ["xs_timeseries", "xs_forest"]
FIGURE = "../scripts/run_figure.py"
FIGURE_FILES = ["png", "svg", "caption.json"]


def figure_blocks(figure):
    """The codebook blocks a figure draws: its module's BLOCKS, read without importing it."""
    tree = ast.parse(Path(code(f"figures/{figure}.py")[0]).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "BLOCKS" for t in node.targets):
            return ast.literal_eval(node.value)
    return ()


def figure_targets():
    """Every figure of every edition whose codebook has the figure's blocks, and the cross-survey figures."""
    targets = []
    for e in EDITIONS:
        blocks = Codebook.load(config["editions"][e]["codebook"]).raw["blocks"]
        figures = [f for f in EDITION_FIGURES if all(b in blocks for b in figure_blocks(f))]
        targets += expand("results/{edition}/figures/{figure}.{ext}", edition=e, figure=figures, ext=FIGURE_FILES)
    targets += expand("results/cross_survey/figures/{figure}.{ext}", figure=CROSS_SURVEY_FIGURES, ext=FIGURE_FILES)
    return targets


FIGURE_CODE = code("figures/common.py", "figures/style.py", "figures/stage.py")


rule figure:
    input:
        estimates="results/{edition}/estimates/estimates.csv",
        codebook=edition_file("codebook"),
        strata=edition_file("strata"),
        code=lambda wc: code(f"figures/{wc.figure}.py"),
        shared=FIGURE_CODE,
    output:
        png=report("results/{edition}/figures/{figure}.png", caption="../report/figures.rst", category="Figures"),
        svg="results/{edition}/figures/{figure}.svg",
        caption="results/{edition}/figures/{figure}.caption.json",
    params:
        language=config["report"]["language"],
    wildcard_constraints:
        figure="|".join(EDITION_FIGURES),
    resources:
        mem_mb=1000,
        runtime=1,
    # all figure jobs go to the cluster as one job (profiles/slurm: group-components)
    group:
        "figures"
    log:
        "results/{edition}/logs/figures/{figure}.log",
    conda:
        ENV
    script:
        FIGURE


rule cross_survey_figure:
    input:
        comparison="results/cross_survey/comparison.csv",
        differences="results/cross_survey/differences.csv",
        package=config["published_sources"],
        crosswalk=config["cross_survey"]["crosswalk"],
        estimates=f"results/{CROSSWALK_EDITION}/estimates/estimates.csv",
        codebook=config["editions"][CROSSWALK_EDITION]["codebook"],
        strata=config["editions"][CROSSWALK_EDITION]["strata"],
        code=lambda wc: code(f"figures/{wc.figure}.py"),
        shared=FIGURE_CODE,
    output:
        png=report("results/cross_survey/figures/{figure}.png", caption="../report/figures.rst", category="Figures"),
        svg="results/cross_survey/figures/{figure}.svg",
        caption="results/cross_survey/figures/{figure}.caption.json",
    params:
        language=config["report"]["language"],
        edition=CROSSWALK_EDITION,
    wildcard_constraints:
        figure="|".join(CROSS_SURVEY_FIGURES),
    resources:
        mem_mb=1000,
        runtime=1,
    group:
        "figures"
    log:
        "results/cross_survey/logs/figures/{figure}.log",
    conda:
        ENV
    script:
        FIGURE
