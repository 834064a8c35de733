"""Figures (barometer.figures) drawn from the workflow's own results, in English and in Dutch.

Every figure: a valid PNG of sensible size for a 7-inch page; the caption's base N is the largest n
of the estimates it draws (pinned to the report's N); Dutch labels differ from English ones; two
renders give identical PNG and SVG bytes. Also: an edition without one technology still draws, and
bad inputs fail with a one-line message (no traceback) and a non-zero exit.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import matplotlib.text
import pandas as pd
import pytest
from PIL import Image
from snakemake.iocontainers import Namedlist

from barometer import stages
from barometer.errors import BarometerError, InputError
from barometer.figures import catalogue, style
from barometer.figures.data import FigureData, figure_data
from barometer.io import write_json
from barometer.stages.figures import draw

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
EDITION = ROOT / "config" / "editions" / "2021"
# Base N of each figure: the report's N (Figures 1-12, Tables 3-5); the Barometer 2021 re-estimate
# for the cross-survey figures (barometer/figures/catalogue.py).
BASE_N = {f.name: f.base_n_2021 for f in catalogue.FIGURES if f.base_n_2021 is not None}
EDITION_FIGURES = catalogue.names("edition")
CROSS_FIGURES = catalogue.names("cross_survey")
# A label each language must show (and the other must not)
LABELS = {
    "fig04_barriers": ("Non-adopters", "Niet-adopters"),
    "fig05_knowledge": ("Non-adopters", "Niet-adopters"),
    "fig02_technologies": ("Text mining", "Tekstanalyse (text mining)"),
    "table3_sectors": ("Manufacturing", "Industrie"),
    "table4_sizes": ("Micro (5-9 employees)", "Micro (5-9 werknemers)"),
    "fig08_budget": ("Unchanged", "Onveranderd"),
    "xs_timeseries": ("Eurostat, Belgium, 10+ employees", "Eurostat, België, 10+ werknemers"),
}


@pytest.fixture(scope="module")
def inputs(full_run):
    """The figures' inputs from the session's complete workflow run (tests/conftest.py)."""
    results = full_run / "results"
    files = {"estimates": results / "2021/estimates/estimates.csv", "codebook": EDITION / "codebook.yaml",
             "strata": EDITION / "strata.yaml", "comparison": results / "cross_survey/comparison.csv",
             "differences": results / "cross_survey/differences.csv",
             "package": ROOT / "data" / "raw" / "published" / "datapackage.json", "crosswalk": ROOT / "config" / "crosswalk.yaml"}
    return SimpleNamespace(**{k: str(v) for k, v in files.items()})


@pytest.fixture(scope="module")
def data(inputs):
    """FigureData per language, read as the Snakemake stage reads it."""
    return {lang: figure_data(inputs, lang, "2021") for lang in ("en", "nl")}


def render(name: str, data: FigureData, directory: Path, tag: str = "") -> tuple[dict, set[str], Path, Path]:
    result = draw(name, data)
    texts = {t.get_text() for t in result.figure.findobj(matplotlib.text.Text) if t.get_text().strip()}
    png, svg, caption = (directory / f"{name}_{data.language}{tag}.{ext}" for ext in ("png", "svg", "caption.json"))
    style.save(result.figure, png, svg)
    write_json({"figure": name, "caption": result.caption, "base_n": result.base_n, "language": data.language}, caption)
    return json.loads(caption.read_text(encoding="utf-8")), texts, png, svg


def needs(name: str, data: dict) -> None:
    if name.startswith("xs_"):
        assert "comparison" in data["en"].extra, "the cross-survey figures need comparison.csv and differences.csv"


def expected_base_n(name: str, data: FigureData) -> int:
    """Largest n of the estimates of the figure's blocks (all firms), or of the Barometer's own
    re-estimates in the cross-survey comparison."""
    if name.startswith("xs_"):
        comparison = data.extra["comparison"]
        reference = comparison[(comparison["comparability"] == "reference") & (comparison["indicator"] == "adoption.any")]
        if name == "xs_forest":  # the re-estimates behind the differences it draws
            drawn = data.extra["differences"]
            reference = reference[reference["barometer_domain"].isin(drawn["barometer_domain"])]
        return int(reference["n"].max())
    e = data.estimates
    return int(e.loc[e["block"].isin(catalogue.blocks(name)) & (e["domain"] == "all"), "n"].max())


@pytest.mark.parametrize("name", list(BASE_N))
def test_figure(name, data, tmp_path):
    needs(name, data)
    captions, texts = {}, {}
    for lang in ("en", "nl"):
        captions[lang], texts[lang], png, svg = render(name, data[lang], tmp_path)
        with Image.open(png) as image:
            image.verify()
        with Image.open(png) as image:
            width, height = image.size
        # savefig.dpi 200: 7 inches wide at most (a page's text width), and neither a sliver nor a tower
        assert 1000 <= width <= 7.0 * 200 + 2, (lang, width)
        assert 300 <= height <= 12 * 200, (lang, height)
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
        caption = captions[lang]
        assert caption["figure"] == name and caption["language"] == lang
        assert caption["base_n"] == BASE_N[name] == expected_base_n(name, data[lang])
        grouped = f"{BASE_N[name]:,}".replace(",", "." if lang == "nl" else ",")
        assert f"N = {grouped}" in caption["caption"]
    assert captions["en"]["caption"] != captions["nl"]["caption"]
    assert ("Source" in captions["en"]["caption"]) and ("Bron" in captions["nl"]["caption"])
    assert texts["en"] != texts["nl"]
    if name in LABELS:
        english, dutch = LABELS[name]
        assert any(english in x for x in texts["en"] | {captions["en"]["caption"]})
        assert any(dutch in x for x in texts["nl"] | {captions["nl"]["caption"]})
        assert not any(dutch in x for x in texts["en"]) and not any(english == x for x in texts["nl"])


@pytest.mark.parametrize("name", ["fig04_barriers", "table5_applications", "fig11_employment_high", "xs_forest"])
def test_rendering_is_deterministic(name, data, tmp_path):
    needs(name, data)
    _, _, png1, svg1 = render(name, data["en"], tmp_path, "_1")
    _, _, png2, svg2 = render(name, data["en"], tmp_path, "_2")
    assert png1.read_bytes() == png2.read_bytes()
    assert svg1.read_bytes() == svg2.read_bytes()


@pytest.mark.parametrize("name", ["fig01_adoption", "fig02_technologies", "fig03_potential", "table3_sectors", "table4_sizes"])
def test_edition_without_one_technology(name, data, tmp_path):
    """An edition that dropped a technology: its estimates and codebook lack it; the figure draws the rest."""
    full = data["en"]
    codebook = full.codebook
    items = codebook.items[codebook.items["item"] != "tech_nlg"]
    indicators = codebook.indicators[codebook.indicators["item"] != "tech_nlg"]
    raw = {**codebook.raw, "blocks": {**codebook.raw["blocks"], "technologies": {
        **codebook.raw["blocks"]["technologies"],
        "items": [i for i in codebook.raw["blocks"]["technologies"]["items"] if i["id"] != "tech_nlg"]}}}
    smaller = type(codebook)(path=codebook.path, raw=raw, items=items, indicators=indicators)
    estimates = full.estimates[~full.estimates["indicator"].str.startswith("tech_nlg.")]
    caption, texts, png, _ = render(name, FigureData(estimates, smaller, full.strata, "2021", "en"), tmp_path)
    assert png.stat().st_size > 10_000
    assert not any("Natural language generation" in x for x in texts)
    assert any("Text mining" in x for x in texts) or name == "fig01_adoption"
    assert caption["base_n"] == 1717


FIXTURE_2099 = ROOT / "tests" / "fixtures" / "edition_2099"


def test_fixture_edition_2099(two_editions, tmp_path):
    """The fixture edition adds a technology (generative AI), drops an initiative and has three size
    classes: every edition figure draws from its own codebook, with the added item and without the dropped one."""
    estimates = two_editions / "results" / "2099" / "estimates" / "estimates.csv"
    inputs = SimpleNamespace(estimates=str(estimates), codebook=str(FIXTURE_2099 / "codebook.yaml"), strata=str(FIXTURE_2099 / "strata.yaml"))
    data = figure_data(inputs, "en", "2099")
    texts = {}
    for name in EDITION_FIGURES:
        _, texts[name], _, _ = render(name, data, tmp_path)
    assert any("Generative AI" in x for x in texts["fig02_technologies"] | texts["table3_sectors"])
    assert not any("coaching" in x for x in texts["fig12_policy"])
    assert any("SME (5-49 employees)" in x for x in texts["table4_sizes"])


def test_estimates_missing_an_indicator_still_draw(data, tmp_path):
    """Estimates without one item (the codebook still lists it): the figure leaves it out."""
    full = data["en"]
    estimates = full.estimates[~full.estimates["indicator"].str.startswith("tech_rpa.")]
    _, texts, _, _ = render("fig02_technologies", FigureData(estimates, full.codebook, full.strata, "2021", "en"), tmp_path)
    assert not any("Robotic process automation" in x for x in texts)


def test_codebook_without_the_block(data):
    full = data["en"]
    raw = {**full.codebook.raw, "blocks": {k: v for k, v in full.codebook.raw["blocks"].items() if k != "barriers"}}
    codebook = type(full.codebook)(path=full.codebook.path, raw=raw, items=full.codebook.items, indicators=full.codebook.indicators)
    with pytest.raises(BarometerError, match="no block 'barriers'"):
        draw("fig04_barriers", FigureData(full.estimates, codebook, full.strata, "2021", "en"))


def test_unknown_figure(data):
    with pytest.raises(BarometerError, match="unknown figure 'fig99_nothing'"):
        draw("fig99_nothing", data["en"])
    with pytest.raises(BarometerError, match="unknown figure"):
        draw("panels", data["en"])


def test_missing_column(inputs, tmp_path):
    broken = tmp_path / "estimates.csv"
    pd.read_csv(inputs.estimates).drop(columns=["ci_high"]).to_csv(broken, index=False)
    with pytest.raises(InputError, match="ci_high"):
        figure_data(SimpleNamespace(**{**vars(inputs), "estimates": str(broken)}), "en", "2021")


def snakemake_job(inputs, tmp_path, figure: str, language: str = "en") -> SimpleNamespace:
    # Snakemake's input and output are named lists: attributes and iteration (the stage runner records each)
    output = Namedlist(fromdict={"png": str(tmp_path / f"{figure}.png"), "svg": str(tmp_path / f"{figure}.svg"),
                                 "caption": str(tmp_path / f"{figure}.caption.json")})
    return SimpleNamespace(input=Namedlist(fromdict=vars(inputs)), output=output, params=Namedlist(fromdict={"languages": [language], "level": 0.95}),
                           wildcards=SimpleNamespace(edition="2021", figure=figure), log=[str(tmp_path / "figure.log")],
                           rule="figure")


def test_stage_run_writes_the_caption(inputs, tmp_path):
    stages.run(snakemake_job(inputs, tmp_path, "fig08_budget", "nl"))
    caption = json.loads((tmp_path / "fig08_budget.caption.json").read_text(encoding="utf-8"))
    assert list(caption) == sorted(caption)
    assert caption == {"base_n": 540, "caption": caption["caption"], "figure": "fig08_budget", "language": "nl"}
    assert (tmp_path / "fig08_budget.svg").exists()


@pytest.mark.parametrize("figure, language, message", [
    ("fig99_nothing", "en", "unknown figure 'fig99_nothing'"),
    ("fig08_budget", "fr", "report.languages: each must be one of en, nl, not 'fr'"),
])
def test_stage_run_fails_cleanly(inputs, tmp_path, capsys, figure, language, message):
    with pytest.raises(SystemExit) as exit_info:
        stages.run(snakemake_job(inputs, tmp_path, figure, language))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert message in (tmp_path / "figure.log").read_text(encoding="utf-8")


# ------------------------------------------------------------------------- what the published record supports
def bars_of(name: str, data: FigureData, domain: str) -> tuple[list, list, pd.DataFrame]:
    """The value bars and the thin range bars bar_panel draws for every level of a block in one domain
    (as Figure 5 does), and the rows drawn, in drawing order."""
    import matplotlib.pyplot as plt

    from barometer.figures.data import block_levels, descending, item_series, level_series
    from barometer.figures.panels import bar_panel

    levels = block_levels(data, name)
    series = [level_series(data, name, level, style.PALETTE[k], domain) for k, level in enumerate(levels)]
    keys = descending(item_series(data, name, levels[0], domain))
    fig, ax = plt.subplots()
    drawn = bar_panel(ax, keys, keys, series, data.language, annotate=False)
    bars = [p for p in ax.patches if p.get_height() > 0.1]  # bars 0.24 high (three series), ranges 0.04
    ranges = [p for p in ax.patches if p.get_height() <= 0.1]
    plt.close(fig)
    return bars, ranges, drawn


def test_values_of_the_reconstruction_are_hollow_with_the_range_the_published_tables_allow(data):
    """Figure 5's bars for adopters: published and derived cells filled, every value the published
    tables do not pin down hollow (white face), with a thin bar spanning [bound_low, bound_high] under it."""
    bars, ranges, drawn = bars_of("knowledge", data["en"], "adopter_status=adopter")
    drawn = drawn[drawn["flag"] != "suppress"]
    assert len(bars) == len(drawn) == 21
    support = drawn["identified_by"].tolist()
    assert {"published", "derived", "bounded", "reconstruction"} <= set(support)
    for bar, r in zip(bars, drawn.itertuples()):
        hollow = bar.get_facecolor()[:3] == (1.0, 1.0, 1.0)
        assert hollow == (r.identified_by in ("bounded", "reconstruction")), (r.indicator, r.identified_by)
    shown = drawn[drawn["identified_by"].isin(["bounded", "reconstruction"])]
    assert len(ranges) == len(shown)
    for bar, r in zip(ranges, shown.itertuples()):
        assert (bar.get_x(), bar.get_x() + bar.get_width()) == pytest.approx((r.bound_low, r.bound_high))
    # the legend and the caption say what hollow means, in each language
    for lang, words in (("en", "Hollow"), ("nl", "Open")):
        result = draw("fig05_knowledge", data[lang])
        labels = [t.get_text() for legend in result.figure.legends for t in legend.get_texts()]
        assert any(label.startswith(words) for label in labels), labels
        assert words + (" bars and markers" if lang == "en" else " balken en symbolen") in result.caption
    # on real microdata (identified_by 'microdata', no bounds) nothing is hollow and nothing is said
    real = data["en"]
    real = FigureData(estimates=real.estimates.assign(identified_by="microdata", bound_low=float("nan"), bound_high=float("nan")),
                      codebook=real.codebook, strata=real.strata, edition=real.edition, language="en", extra=real.extra)
    bars, ranges, _ = bars_of("knowledge", real, "adopter_status=adopter")
    assert not ranges and all(bar.get_facecolor()[:3] != (1.0, 1.0, 1.0) for bar in bars)
    assert "ollow" not in draw("fig05_knowledge", real).caption


def test_the_cross_survey_figures_show_the_range_of_the_10plus_estimate(data):
    """Figure 13: the Barometer's 10+ re-estimate is hollow with the range [17.6, 33.5] beside it;
    Figure 14: the differences on the 10+ scope are hollow with their ranges."""
    result = draw("xs_timeseries", data["en"])
    ax = result.figure.axes[0]
    ranges = [p for p in ax.patches if p.get_width() < 0.2]
    assert len(ranges) == 1
    assert (ranges[0].get_y(), ranges[0].get_y() + ranges[0].get_height()) == pytest.approx((17.68, 33.49), abs=0.01)
    assert "the range the published tables allow" in " ".join(t.get_text() for t in result.figure.legends[0].get_texts())
    forest = draw("xs_forest", data["en"])
    assert "hollow bars and markers" in forest.caption.lower()
    # the Belgian 2021 comparison: Barometer 10+ in [17.68, 33.49] minus Eurostat 10.32 (±0.005)
    spans = sorted((round(p.get_x(), 2), round(p.get_x() + p.get_width(), 2)) for a in forest.figure.axes for p in a.patches)
    assert (round(17.675123 - 10.325, 2), round(33.489144 - 10.315, 2)) in spans
