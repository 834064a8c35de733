"""The rendered report as a reader and a reviewer meet it, in English and in Dutch: the PDF's text
(pdftotext, with its layout where it matters), its pages as images, and the HTML's DOM in headless
Chromium. Every defect of issue 15 has its test here, on the rendered output."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow
MINUS = "\u2212"
EDITIONS = {"en": "barometer", "nl": "barometer_nl"}


def pdf_text(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def report(full_run) -> dict:
    """Both editions: their PDF text (plain and with layout) and the files behind them."""
    folder = full_run / "results/report"
    out = {}
    for lang, stem in EDITIONS.items():
        pdf = folder / f"{stem}.pdf"
        out[lang] = {"pdf": pdf, "html": folder / f"{stem}.html", "text": straight(pdf_text(pdf)),
                     "layout": straight(pdf_text(pdf, "-layout"))}
    return out


def straight(text: str) -> str:
    """Typographic quotes as typed (the prose's apostrophes are set as ’)."""
    return text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}))


def flat(text: str) -> str:
    return " ".join(text.split())


def section(text: str, start: str, end: str | None) -> str:
    """The PDF text from the heading ``start`` to the heading ``end`` (the body, not the contents)."""
    begin = text.index(start, text.index(start) + 1) if text.count(start) > 1 else text.index(start)
    return text[begin:text.index(end, begin) if end else None]


def html_tables(html: Path) -> dict[str, list[list[str]]]:
    """The HTML's tables by caption: each row's cell texts (whitespace collapsed)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(encoding="utf-8"), features="html.parser")
    return {(t.caption.get_text(" ", strip=True) if t.caption else ""):
            [[c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])] for row in t.find_all("tr")]
            for t in soup.find_all("table")}


def est(run: Path, indicator: str, domain: str = "all") -> pd.Series:
    e = pd.read_csv(run / "results/2021/estimates/estimates.csv")
    return e[(e["indicator"] == indicator) & (e["domain"] == domain)].iloc[0]


def fmt(value: float, lang: str = "en", decimals: int = 1, sign: bool = False) -> str:
    text = f"{abs(value):,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    rounded = round(value, decimals)
    return (MINUS if rounded < 0 else "+" if sign and rounded > 0 else "") + text


# ------------------------------------------------------------------------------------ browser
@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="headless Chromium not installed (make test installs Debian's chromium)")
@pytest.mark.parametrize("lang", list(EDITIONS))
def test_the_html_loads_every_figure_with_alt_text_and_has_a_table_of_contents(report, lang):
    from barometer.browser import inspect_page

    page = inspect_page(report[lang]["html"])
    assert page["console_errors"] == [] and page["page_errors"] == [] and page["failed_requests"] == []
    assert page["lang"] == lang and page["title"].startswith("AI-Barometer 2021")
    figure = {"en": "Figure", "nl": "Figuur"}[lang]
    images = page["images"]
    assert len(images) == 15 and all(i["complete"] and i["natural_width"] > 0 for i in images)
    for number, image in enumerate(images, 1):  # each image says what it shows: its caption
        assert image["alt"].startswith({"en": "Chart. ", "nl": "Grafiek. "}[lang])
        assert f"{figure} {number}: " in image["alt"] and "No description" not in image["alt"] and len(image["alt"]) > 60
    toc = page["toc"]
    headings = {"en": ["Key findings", "Data and methods", "Results", "Reproduction of the published numbers",
                       "The Barometer and other surveys", "The Barometer over its editions", "Appendix: audit trail", "References"],
                "nl": ["Belangrijkste bevindingen", "Gegevens en methode", "Resultaten", "Reproductie van de gepubliceerde getallen",
                       "De Barometer en andere enquêtes", "De Barometer doorheen zijn edities", "Bijlage: controlespoor", "Referenties"]}
    assert [t["text"] for t in toc if t["target"] == "h1"] == headings[lang]
    assert len(toc) >= 20 and all(t["target"] in ("h1", "h2") for t in toc)
    # Tables 3-5 are text tables (searchable), with their intervals
    captions = [t["caption"] for t in page["tables"]]
    table = {"en": "Table", "nl": "Tabel"}[lang]
    for k in ("3", "4", "5"):
        assert any(c.startswith(f"{table} {k}: ") for c in captions), (k, captions)
    t3 = next(t for t in page["tables"] if t["caption"].startswith(f"{table} 3: "))
    row = est(report_run(report), "tech_text_mining.use", "sector=58-63")
    cell = f"{fmt(row['estimate'], lang)}\n({fmt(row['ci_low'], lang)}–{fmt(row['ci_high'], lang)})"
    assert any(cell in cells for cells in t3["rows"]), cell


def report_run(report) -> Path:
    return report["en"]["pdf"].parents[2]


# ------------------------------------------------------------------------------------ PDF
def test_the_pdf_has_vector_figures_and_text_tables(report, full_run):
    for lang in EDITIONS:
        pdf = report[lang]["pdf"]
        images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
        assert len(images) <= 3, f"{len(images)} raster images in {pdf.name}: the figures must be vectors"
        text = flat(report[lang]["text"])
        figure, table = {"en": ("Figure", "Table"), "nl": ("Figuur", "Tabel")}[lang]
        assert all(f"{figure} {k}: " in text for k in range(1, 16))
        assert f"{figure} T3" not in text and f"{table} 3: " in text and f"{table} 5: " in text
    # every cell of Tables 3-5 that is published is in the PDF's text, estimate and interval
    text = report["en"]["layout"]
    e = pd.read_csv(full_run / "results/2021/estimates/estimates.csv")
    tables = ((e["block"] == "technologies") & e["indicator"].str.endswith(".use") & e["dimension"].isin(["sector", "size"])) | (
        (e["block"] == "applications") & e["indicator"].str.endswith(".yes") & (e["dimension"] == "sector"))
    cells = e[tables & (e["flag"] != "suppress")]
    assert len(cells) > 60
    for r in cells.itertuples():
        interval = f"({fmt(max(r.ci_low, 0.0))}–{fmt(r.ci_high)})"
        assert interval in text, (r.indicator, r.domain, interval)


def test_no_pdf_text_runs_past_the_right_margin(report):
    for lang in EDITIONS:
        boxes = pdf_text(report[lang]["pdf"], "-bbox")
        pages = re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', boxes, re.S)
        assert len(pages) >= 20
        outside = [(n, word) for n, (width, body) in enumerate(pages, 1)
                   for right, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', body)
                   if float(right) > float(width) - 60]
        assert not outside, outside[:5]


def test_every_page_is_at_least_half_full_and_no_caption_is_cut_from_its_figure(report, tmp_path):
    """Pages as a reader sees them (pdftoppm): none but the last is more than half empty; no page
    starts with a figure caption (a caption below its figure never opens a page)."""
    from PIL import Image

    for lang, figure in (("en", "Figure"), ("nl", "Figuur")):
        pdf = report[lang]["pdf"]
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / lang)], check=True)
        pages = sorted(tmp_path.glob(f"{lang}-*.png"))
        assert len(pages) >= 20
        for number, png in enumerate(pages[:-1], 1):
            ink = np.asarray(Image.open(png).convert("L"))
            height = ink.shape[0]
            body = ink[int(height * 57 / 842):int(height * (842 - 57) / 842)]  # the text block (2 cm margins)
            rows = np.where((body < 200).any(axis=1))[0]
            empty = 1 - (rows.max() + 1) / body.shape[0]
            assert empty < 0.5, f"{pdf.name} page {number} is {empty:.0%} empty"
        # a caption's first word sits well below the top margin (57 pt): its figure is above it
        boxes = pdf_text(pdf, "-bbox")
        for number, body in enumerate(re.findall(r"<page[^>]*>(.*?)</page>", boxes, re.S), 1):
            words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)</word>', body)
            for (y, word), (_, following) in zip(words, words[1:]):
                if word == figure and re.fullmatch(r"\d+:", following):
                    assert float(y) > 57 + 40, f"{pdf.name} page {number}: the caption of {figure} {following} opens the page"


def test_the_title_block_cites_the_reanalysis_and_the_2021_report(report, full_run):
    cff = yaml.safe_load((full_run / "CITATION.cff").read_text(encoding="utf-8"))
    sources = pd.read_csv(full_run / "data/raw/published/sources.csv").set_index("source_id")
    for lang, words in (("en", ("Version", "Data:", "Rendered:", "Cite this re-analysis as:", "The survey it re-analyses:")),
                        ("nl", ("Versie", "Gegevens:", "Gegenereerd:", "Citeer deze heranalyse als:", "De heranalyseerde enquête:"))):
        first = flat(report[lang]["text"].split("\f")[0] + report[lang]["text"].split("\f")[1])
        for word in words:
            assert word in first, (lang, word)
        assert cff["authors"][0]["name"] in first and f"{cff['version']} (" in first
        assert "May-August 2021" in first if lang == "en" else "mei-augustus 2021" in first
        assert flat(sources.at["ai_barometer_2021", "citation"]) in first
        # a checkout without commits (the tests' copies) has no date to give: undated, never today's date
        assert ("undated" in first) if lang == "en" else ("ongedateerd" in first)


def test_the_reference_list_holds_every_method_and_source_cited(report, full_run):
    references = yaml.safe_load((full_run / "reports/references.yaml").read_text(encoding="utf-8"))
    for lang, heading in (("en", "References"), ("nl", "Referenties")):
        text = flat(report[lang]["text"])
        body, refs = text[:text.rindex(heading)], text[text.rindex(heading):]
        for key, entry in references.items():
            cited = entry["short"] in body
            listed = flat(entry["citation"])[:60] in refs
            assert cited == listed, (lang, key, cited, listed)
        for short in ("Parker et al. 2017", "Beaumont & Émond 2022", "Korn & Graubard 1998", "Rao, Wu & Yue 1992", "Wilson 1927"):
            assert short in body, short
        for author in ("Parker, J. D.", "Beaumont, J.-F.", "Korn, E. L.", "Rao, J. N. K., Wu, C. F. J. and Yue, K.", "Wilson, E. B."):
            assert author in refs, author
        # every source of the comparison table is listed by the author and year the table cites it with
        assert "[Eurostat 2025a]" in refs and "[Statbel 2023]" in refs and "[effixis 2024]" in refs


def test_the_key_findings_give_each_share_of_its_own_group(report, full_run):
    text = flat(report["en"]["text"])
    non_adopters = est(full_run, "adoption.none_with_plans", "adopter_status=non_adopter")
    everyone = est(full_run, "adoption.none_with_plans")
    assert non_adopters["estimate"] == pytest.approx(17.46, abs=0.05) and everyone["estimate"] == pytest.approx(13.41, abs=0.05)
    assert f"Non-adopters planning AI within a year, as a share of non-adopters: {fmt(non_adopters['estimate'])}%" in text
    assert f"as a share of all firms: {fmt(everyone['estimate'])}%" in text
    assert f"Non-adopters planning AI within a year: {fmt(everyone['estimate'])}" not in text


KEY_SECTIONS = {"en": ("Key findings", "Data and methods"), "nl": ("Belangrijkste bevindingen", "Gegevens en methode")}
ALLOW = {"en": "reconstruction; the published tables allow {low}–{high}%",
         "nl": "reconstructie; de gepubliceerde tabellen laten {low}–{high}% toe"}


def test_the_key_findings_quote_no_reconstruction_number_without_its_bounds(report, full_run):
    """Issue 12: every percentage of the key findings is published, derived from published numbers, or
    stands next to the range the published tables allow (rounded outward); adoption among firms with
    250+ employees (73.9% in the reconstruction) carries its range 37.0-100.0%."""
    from barometer.reporting import KEY_FINDINGS
    from barometer.support import outward

    for lang in ("en", "nl"):
        text = flat(section(report[lang]["text"], *KEY_SECTIONS[lang]))
        intro, *bullets = text.split("•")
        assert re.findall(r"[\d.,]+%", intro) == ["95%"], intro  # the interval level only
        labels = {(en if lang == "en" else nl): (indicator, domain) for en, nl, indicator, domain in KEY_FINDINGS}
        checked = 0
        for bullet in bullets:
            bullet = bullet[:bullet.index("respondent") + 11]  # the sentence after the list is not a finding
            label = bullet.split(":", 1)[0].strip()
            assert label in labels, f"a key finding that names no known estimate: {bullet}"
            row = est(full_run, *labels[label])
            percentages = re.findall(r"[\d.,]+(?=%)", bullet)
            assert percentages, bullet
            if row["identified_by"] in ("published", "derived"):
                assert "published tables" not in bullet and "gepubliceerde tabellen" not in bullet, bullet
                continue
            low, high = outward(row["bound_low"], row["bound_high"])
            phrase = ALLOW[lang].format(low=fmt(low, lang), high=fmt(high, lang))
            assert phrase in bullet, (bullet, phrase)
            # every percentage of the bullet is the estimate, its interval or the range
            assert set(percentages) <= {fmt(row["estimate"], lang), "95", fmt(high, lang)}, bullet
            checked += 1
        assert checked >= 2  # 50-249 and 250+ employees, on the bundled reconstruction
    large = est(full_run, "adoption.any", "size=large")
    assert large["identified_by"] == "bounded" and large["estimate"] == pytest.approx(73.90, abs=0.01)
    assert (large["bound_low"], large["bound_high"]) == pytest.approx((37.05, 100.0), abs=0.001)
    assert ("Among firms with 250+ employees: 73.9% (95% CI 67.9–79.3; reconstruction; the published tables allow "
            "37.0–100.0%)") in flat(report["en"]["text"])
    assert "Bij bedrijven met 250+ werknemers: 73,9% (95%-BI 67,9–79,3; reconstructie; de gepubliceerde tabellen laten " \
           "37,0–100,0% toe)" in flat(report["nl"]["text"])


def test_the_verdict_summary_shows_the_published_tables_verdict_beside_the_samples(report, full_run):
    claims = pd.read_csv(full_run / "results/2021/estimates/claims.csv")
    published = claims["verdict_published"].value_counts()
    assert (published["supported by the published tables"], published["not determined by the published tables"]) == (11, 71)
    tables = html_tables(report["en"]["html"])
    summary = next(rows for caption, rows in tables.items() if caption.startswith("Statements of the 2021 report by verdict"))
    assert summary[0][2:] == ["Supported by the published tables", "Not determined by the published tables"]
    assert summary[-1] == ["All statements", "82", "11", "71"]
    for verdict, n in claims.groupby("verdict").size().items():
        row = next(r for r in summary if r[0] == {"supported": "supported", "not assessable": "not assessable",
                                                    "direction only, not significant": "right direction, not significant"}[verdict])
        crossed = claims[claims["verdict"] == verdict]["verdict_published"].value_counts()
        assert row[1:] == [str(n), str(crossed.get("supported by the published tables", 0)),
                           str(crossed.get("not determined by the published tables", 0))]
    # one by one: the published tables' verdict over the range of the difference
    rows = html_tables(report["en"]["html"])["The report's comparative statements, one by one"]
    assert rows[0][-1] == "Published tables" and rows[0][-2] == "Verdict (sample)"
    large = claims[(claims["indicator"] == "adoption.any") & (claims["domain"] == "size=large")].iloc[0]
    cell = rows[1 + int(large.name)][-1]
    assert cell.startswith("supported") and fmt(math.floor(large["bound_low"] * 10) / 10, sign=True) in cell
    assert "support 11 statements" in flat(report["en"]["text"]) and "bevestigen 11 uitspraken" in flat(report["nl"]["text"])


def test_the_sampling_fractions_are_stated_once_and_explained(report, full_run):
    text = flat(section(report["en"]["text"], "Weights", "Results"))
    d = pd.read_csv(full_run / "results/2021/weights/diagnostics.csv")
    f_min, f_max = d["f_h"].min(), d["f_h"].max()
    assert f"between {f_min:.3f} and {f_max:.3f}" in text and "f_h = n_h / N_h" in text
    frame = pd.read_csv(full_run / "config/editions/2021/frame.csv")
    invited = frame["sampled"] / frame["population"]
    assert f"invited between {invited.min():.0%} and {invited.max():.0%}" in text
    assert "up to 0.8" not in text
    assert f"1 / (1 {MINUS} f_h) = {1 / (1 - f_max):.2f}" in text


def test_the_cost_reduction_note_sits_in_the_impact_section(report):
    text = report["en"]["text"]
    applications = flat(section(text, "Applications and sources", "Impact"))
    impact = flat(section(text, "Impact", "Policy"))
    assert "45.3%" not in applications
    assert "45.3% in Accommodation and food (its Figure 9, §3.6), is the mean over 6 firms" in impact


def test_the_claims_table_reads_correctly(report, full_run):
    claims = pd.read_csv(full_run / "results/2021/estimates/claims.csv")
    text = section(report["en"]["layout"], "The report's comparative statements, one by one", "Reproduction of the published numbers\n")
    plain = flat(text)
    assert "ICT security" in plain and "iCT" not in plain
    assert "Any:" not in plain and "differences" not in plain
    # the cells, as the HTML's DOM holds them (the PDF's table wraps them over lines)
    rows = html_tables(report["en"]["html"])["The report's comparative statements, one by one"]
    statements = [r[1] for r in rows[1:]]
    verdicts = [r[4] for r in rows[1:]]
    assert "Sector groups: no difference on aware of the Flemish AI action plan (test across the sector groups)" in statements
    assert "Size classes: no difference on aware of the Flemish AI action plan (test across the size classes)" in statements
    assert "Construction: below average on ICT security" in statements
    # the sampling verdicts of issue 13, by name; a claim on a suppressed side is not assessable
    assert {"supported", "not assessable", "right direction, not significant"} <= set(verdicts), set(verdicts)
    assert not any("1 significant differences" in v for v in verdicts)
    assert len(rows) - 1 == len(claims)
    # numbers carry true minus signs only, and every interval is on one line
    assert not re.search(r"(?<![\w.])-\d", plain), re.findall(r".{20}(?<![\w.])-\d.{10}", plain)[:3]
    lines = text.splitlines()
    for r in claims.dropna(subset=["difference"]).itertuples():
        # beside the adjusted p-value, the interval that matches it (issue 13)
        low, high = fmt(r.ci_low_adjusted), fmt(r.ci_high_adjusted)
        joined = f"{low} to {high}" if min(r.ci_low_adjusted, r.ci_high_adjusted) < 0 else f"{low}–{high}"
        shown = f"{fmt(r.difference, sign=True)} ({joined})"
        assert any(shown in line for line in lines), shown


def test_the_reproduction_summary_is_a_clean_table(report):
    text = section(report["en"]["layout"], "Reproduction of the published numbers\n", "The Barometer and other surveys\n")
    assert "every value within ±0.1 pp" in text and "median |diff| ≤ 0.1 pp, every cell" in text
    assert "+-" not in text and "yes/diff" not in text
    rows = html_tables(report["en"]["html"])["Reproduction of the published numbers: summary"]
    assert rows[0] == ["Published numbers", "Values", "Median |diff|, pp", "Max |diff|, pp", "Target", "Met"]
    assert all(len(r) == 6 and r[5] == "yes" for r in rows[1:])
    assert [r[0] for r in rows[1:]] == ["Numbers quoted in the text", "Table 2", "Table 3", "Table 4", "Table 5", "Bounds stated in words"]


def test_the_gap_table_and_the_text_agree_on_the_sign_and_the_non_respondents(report, full_run):
    gap = pd.read_csv(full_run / "results/cross_survey/gap_decomposition.csv")
    total, domain, remaining, needed = gap["value"]
    assert total == pytest.approx(domain + remaining)
    text = flat(section(report["en"]["text"], "The Barometer and other surveys", "The Barometer over its editions"))
    layout = section(report["en"]["layout"], "The Barometer and other surveys", "The Barometer over its editions")
    assert domain < 0
    assert any("Domain: Barometer (5+)" in line and f"{fmt(domain, sign=True)} (" in line for line in layout.splitlines())
    assert f"lowers the Barometer's estimate by {fmt(-domain)} points (Barometer 5+ minus Barometer 10+ = {fmt(domain, sign=True)} pp)" in text
    assert f"+{abs(domain):.1f} points" not in text
    # issue 12: the domain's part is only bounded, its sign not established; what holds is said as such
    low, high = gap["bound_low"][1], gap["bound_high"][1]
    assert low < 0 < high and gap["identified_by"][1] == "bounded"
    assert f"from {fmt(math.floor(low * 10) / 10, sign=True)} to {fmt(math.ceil(high * 10) / 10, sign=True)} points" in text
    assert "whether including the firms with 5-9 employees raises or lowers adoption is not established" in text
    assert "the gap widens" not in text and "The firms with 5-9 employees are not where the gap comes from" not in text
    assert "anything from 17.6% to 33.5% for firms with 10+ employees" in text
    assert "37.0–100.0% for 250+ employees" in text.replace("– ", "–")  # the PDF may break a line after the dash
    assert any("Domain: Barometer (5+)" in line and f"{fmt(math.floor(low * 10) / 10, sign=True)} to" in line
               for line in layout.splitlines())
    nl = flat(section(report["nl"]["text"], "De Barometer en andere enquêtes", "De Barometer doorheen zijn edities"))
    assert "of de bedrijven met 5-9 werknemers de adoptie verhogen of verlagen, staat niet vast" in nl
    # the adoption non-respondents would need, over in-scope firms only
    published = pd.read_csv(full_run / "results/2021/audit/published_values.csv").drop_duplicates("indicator").set_index("indicator")["value"]
    rate = published["fieldwork.usable"] / (published["fieldwork.reached"] - published["fieldwork.excluded"])
    comparison = pd.read_csv(full_run / "results/cross_survey/comparison.csv")
    official = comparison.loc[comparison["value_id"] == "eurostat.e_ai_tany.be.2021", "value"].iloc[0]
    ten = comparison[(comparison["comparability"] == "reference") & (comparison["barometer_domain"] == "eurostat_scope_10plus")
                     & (comparison["indicator"] == "adoption.any")]["value"].iloc[0]
    assert needed == pytest.approx((official - rate * ten) / (1 - rate))
    assert f"the usable responses are {100 * rate:.1f}% of the firms reached" in text
    assert f"would need an adoption rate of about {needed:.1f}%" in text


def test_cross_survey_comparisons_are_graded_fairly(report, full_run):
    c = pd.read_csv(full_run / "results/cross_survey/comparison.csv").set_index("value_id")
    assert "grade" not in c.columns and {"source_grade", "comparability", "differs"} <= set(c.columns)
    assert (c.at["eurostat.e_ai_tany.be.2021", "comparability"], c.at["eurostat.e_ai_tany.be.2021", "differs"]) == ("same_measure", "region")
    for secondary in ("barometer2023.effixis.ai_any.vl.2023", "barometer2025.cropland.ai_any.vl.2025", "fpb.ai_use.size_250plus.be.2021"):
        assert c.at[secondary, "comparability"] == "context", secondary
    assert not (c["comparability"] == "like_for_like").any()
    graded = c[c["comparability"].isin(["like_for_like", "same_measure"])]
    assert set(graded["source_grade"]) <= {"official_release", "report"}
    differences = pd.read_csv(full_run / "results/cross_survey/differences.csv")
    assert set(differences["comparability"]) == {"same_measure"}
    assert set(differences["value_id"]) == set(graded.dropna(subset=["barometer_domain"]).index)
    # the table: grouped by grade, sources by name and grade, region and year apart
    layout = section(report["en"]["layout"], "Published figures next to the Barometer, by comparability", "Kyndryl and TOPdesk")
    text = flat(layout)
    order = [text.index(g) for g in ("The Barometer, re-estimated from its microdata",
                                      "Like for like: same instrument, scope, region and year: none",
                                      "Same measure, not like for like", "Context only: never read as a difference")]
    assert order == sorted(order)
    assert "eurostat isoc eb ai dbnomics" not in text and "eurostat_isoc" not in text
    lines = layout.splitlines()
    assert any("Eurostat 2025a" in line and "official" in line for line in lines)
    assert any("effixis 2024" in line and "blog" in line for line in lines)
    assert "EU27, 2021" in text and "Jan-Mar 2020, 2020" not in text and "EU27, 2020" in text
    # Figure 14 draws the differences of the same measure only, in their own panel
    forest = json.loads((full_run / "results/cross_survey/figures/en/xs_forest.caption.json").read_text())
    assert "No published figure is like for like" in forest["caption"]


def test_figure_15_labels_and_legend_show_what_is_drawn(full_run):
    """The two 2022 baselines are labelled on either side of their markers, and the legend's marker
    for the published points is the open square every plotted one is."""
    from types import SimpleNamespace

    import matplotlib.text
    from matplotlib.lines import Line2D

    from barometer.figures.data import figure_data
    from barometer.stages.figures import draw

    inputs = SimpleNamespace(series=str(full_run / "results/longitudinal/editions.csv"),
                             changes=str(full_run / "results/longitudinal/changes.csv"),
                             package=str(full_run / "data/raw/published/datapackage.json"),
                             estimates=str(full_run / "results/2021/estimates/estimates.csv"),
                             codebook=str(full_run / "config/editions/2021/codebook.yaml"),
                             strata=str(full_run / "config/editions/2021/strata.yaml"))
    result = draw("lg_editions", figure_data(inputs, "en", "2021"))
    fig = result.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if isinstance(t, matplotlib.text.Annotation)]
    boxes = [t.get_window_extent(renderer) for t in labels]
    overlaps = [(labels[i].get_text(), labels[j].get_text()) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                if boxes[i].overlaps(boxes[j])]
    assert {"25.5", "26.0"} <= {t.get_text() for t in labels} and overlaps == []
    handles = fig.legends[0].legend_handles
    squares = [h for h in handles if isinstance(h, Line2D) and h.get_marker() == "s"]
    assert len(squares) == 1 and squares[0].get_markerfacecolor() == "white"
    assert "95% CI" in " ".join(t.get_text() for t in fig.legends[0].get_texts())


def test_figures_4_and_5_say_what_they_are_sorted_by(report):
    text = flat(report["en"]["text"])
    for number in ("4", "5"):
        caption = re.search(rf"Figure {number}: (.*?)Source:", text).group(1)
        assert "adopters and non-adopters together (not drawn)" in caption and "all-firms estimate" not in caption


def test_the_software_section_names_the_renderer(report):
    text = flat(report["en"]["text"])
    assert "see render.json" not in text
    assert re.search(r"Rendered with (Quarto|the Jupyter fallback)", text)


def test_captions_and_text_take_the_interval_level_from_the_configuration(full_run, tmp_path):
    """The figures drawn at another level, and the report rendered from a context at that level:
    no '95' left in a caption, a legend, a table heading or the text about intervals."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt
    import matplotlib.text

    from barometer.figures import catalogue
    from barometer.figures.data import figure_data
    from barometer.render import render_report
    from barometer.stages.figures import draw

    run = full_run
    inputs = SimpleNamespace(estimates=str(run / "results/2021/estimates/estimates.csv"), codebook=str(run / "config/editions/2021/codebook.yaml"),
                             strata=str(run / "config/editions/2021/strata.yaml"), comparison=str(run / "results/cross_survey/comparison.csv"),
                             differences=str(run / "results/cross_survey/differences.csv"), series=str(run / "results/longitudinal/editions.csv"),
                             changes=str(run / "results/longitudinal/changes.csv"), package=str(run / "data/raw/published/datapackage.json"),
                             crosswalk=str(run / "config/crosswalk.yaml"))
    for lang in ("en", "nl"):
        data = figure_data(inputs, lang, "2021", 0.9)
        for figure in catalogue.FIGURES:
            result = draw(figure.name, data)
            texts = " ".join(t.get_text() for t in result.figure.findobj(matplotlib.text.Text))
            plt.close(result.figure)
            assert "90%" in result.caption and "95" not in result.caption, (figure.name, result.caption)
            assert "95%" not in texts, figure.name
    # the report's own words: a copy of the context at level 0.9, rendered to HTML
    context = json.loads((run / "results/report/barometer.context.json").read_text())
    context["meta"]["ci_level"] = 0.9
    copy = run / "results/report/level90.context.json"
    copy.write_text(json.dumps(context))
    try:
        render_report(run / "reports/barometer.qmd", tmp_path, context_file=copy, formats=("html",),
                      pythonpath=[run / "workflow/src"], stem="level90", metadata={"title": "Level 90"})
    finally:
        copy.unlink()
    html = (tmp_path / "level90.html").read_text(encoding="utf-8")
    assert "90% CI" in html and "with 90% confidence intervals" in html and "Difference, pp (adjusted CI)" in html
    prose = re.sub(r"<figure.*?</figure>", "", html, flags=re.S)  # the figures are those drawn at 95%
    assert "95%" not in re.sub(r"<[^>]+>", " ", prose)


# ------------------------------------------------------------------------------------ Dutch
# a number with decimals; a sentence's full stop or a list's comma may follow it
NUMBER = {"en": re.compile(rf"(?<![\d.,\w]){MINUS}?\d{{1,3}}(?:,\d{{3}})*\.\d+(?!\d|[.,]\d|\w)"),
          "nl": re.compile(rf"(?<![\d.,\w]){MINUS}?\d{{1,3}}(?:\.\d{{3}})*,\d+(?!\d|[.,]\d|\w)")}


def decimals(text: str, lang: str) -> Counter:
    """Every number with decimals in the text, as a float (thousands separators and decimal marks
    as the language writes them)."""
    found = NUMBER[lang].findall(text)
    if lang == "en":
        values = [x.replace(",", "") for x in found]
    else:
        values = [x.replace(".", "").replace(",", ".") for x in found]
    return Counter(round(float(v.replace(MINUS, "-")), 4) for v in values)


def test_the_dutch_edition_has_the_same_numbers_in_dutch(report):
    """The Dutch edition is the whole report in Dutch: its text in Dutch, its numbers with decimal
    commas, and exactly the same numbers as the English edition (up to the software versions)."""
    texts = {}
    for lang, end in (("en", "Software, configuration and version"), ("nl", "Software, configuratie en versie")):
        text = flat(report[lang]["text"])
        # NACE 95.1 (a code in a sector's name) and section numbers (§3.4) are no numbers
        texts[lang] = re.sub(r"§\d+(?:\.\d+)*|\b95\.1\b", "", text[:text.rindex(end)])
    en, nl = decimals(texts["en"], "en"), decimals(texts["nl"], "nl")
    assert sum(en.values()) > 900
    assert en == nl, (en - nl, nl - en)
    dutch = texts["nl"]
    for word in ("Belangrijkste bevindingen", "Figuur 1:", "Tabel 3:", "betrouwbaarheidsinterval", "Bron: AI-Barometer 2021",
                 "Niet-adopters", "bevestigd", "Gelijk tegenover gelijk", "officiële publicatie"):
        assert word in dutch, word
    for english in ("Key findings", "Figure 1:", "Table 3:", "confidence interval", "Source: AI-Barometer", "supported", "Like for like"):
        assert english not in dutch, english
    # a point in a Dutch number only groups thousands (10.000), it never marks decimals
    points = NUMBER["en"].findall(dutch.replace("0.1.0", ""))
    assert all(re.fullmatch(rf"{MINUS}?\d{{1,3}}(?:\.\d{{3}})+", x) for x in points), points
