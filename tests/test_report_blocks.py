"""The report's building blocks, without the workflow: numbers as each language writes them, text
tables written to HTML and compiled by Typst, the cross-survey grades, the in-scope response rate,
the render date, and render_report's title override, output name, table of contents and alt text."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from barometer import report_blocks as B
from barometer.crosssurvey import comparability, gap_decomposition, in_scope_response_rate, response_rate
from barometer.errors import BarometerError
from barometer.manifest import source_date
from barometer.render import render_report


@pytest.mark.parametrize(("value", "language", "decimals", "sign", "expected"), [
    (1717, "en", 0, False, "1,717"), (1717, "nl", 0, False, "1.717"),
    (23.21352544, "en", 1, False, "23.2"), (23.21352544, "nl", 1, False, "23,2"),
    (-3.759185987, "en", 1, True, "\u22123.8"), (-3.759185987, "nl", 1, True, "\u22123,8"),
    (15.58, "en", 1, True, "+15.6"), (1234567.891, "nl", 2, False, "1.234.567,89"),
    (-0.04, "en", 1, True, "0.0"), (0.0004, "nl", 3, False, "0,000"), (float("nan"), "en", 1, False, "\u2013"),
])
def test_numbers_are_written_as_each_language_writes_them(value, language, decimals, sign, expected):
    assert B.number(value, language, decimals, sign=sign) == expected


def test_intervals_keep_their_minus_signs_apart_from_the_dash():
    assert B.interval(20.81716272, 25.74581438, "en") == "20.8\u201325.7"
    assert B.interval(20.81716272, 25.74581438, "nl") == "20,8\u201325,7"
    assert B.interval(-14.559, -4.224, "en") == "\u221214.6 to \u22124.2"
    assert B.interval(-5.5297, 4.1067, "nl") == "\u22125,5 tot 4,1"
    assert B.interval(float("nan"), 1.0, "en") == ""
    with pytest.raises(ValueError, match="unknown report language 'fr'"):
        B.number(1.0, "fr")


TRICKY = ['Quote " and backslash \\ and #hash', "[brackets] *stars* _under_ $dollar$ @at <angle> // slashes", "x"]


def test_a_table_is_text_in_html_and_in_the_pdf_typst_compiles(tmp_path):
    """Cells with every character Typst markup or HTML would interpret come out as written; an
    interval cell stays on one line; a wide table is split into balanced column groups."""
    import typst

    rows = [[f"row {k}", *(B.cell(f"{k}.{j}", f"(1.{j}\u20132.{j})", nowrap=True) for j in range(11))] for k in range(3)]
    rows.append(B.Group("A group heading"))
    table = B.Table(["Name", *(f"Column {j}" for j in range(11))], rows, caption="Table 9: A caption with \"quotes\"",
                    notes="Notes * and _ stay.", split=6, continued="continued")
    tricky = B.Table(["Text", "More"], [TRICKY[:2], [TRICKY[2], TRICKY[2]]], widths=[1, 2])
    html = B.to_html(table)
    assert "<caption>Table 9: A caption with &quot;quotes&quot;</caption>" in html
    assert html.count("<tr>") == 1 + 3 and 'class="group"' in html and '<span class="nowrap">(1.3\u20132.3)</span>' in html
    assert "Quote &quot; and backslash \\ and #hash" in B.to_html(tricky)
    source = "#set page(width: 21cm, height: 29.7cm)\n" + B.to_typst(table) + "\n" + B.to_typst(tricky)
    (tmp_path / "t.typ").write_text(source, encoding="utf-8")
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(typst.compile(str(tmp_path / "t.typ"), root=str(tmp_path)))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (*TRICKY[:2], "Table 9: A caption with \"quotes\"", "Table 9 (continued)", "A group heading", "Notes * and _ stay."):
        assert expected in text, expected
    lines = text.splitlines()
    assert any("(1.3\u20132.3)" in line for line in lines)  # never broken inside
    # 11 data columns at most 6 a table: 6 + 5, the first column repeated
    assert text.count("Column 5") == 1 and "Column 6" in text.split("Table 9 (continued)")[1]
    assert text.count("row 2") == 2


@pytest.mark.parametrize(("instrument", "scope", "region", "year", "source", "expected"), [
    ("same", "same", True, True, "official_release", ("like_for_like", [])),
    ("same", "same", False, True, "official_release", ("same_measure", ["region"])),  # Eurostat Belgium 2021
    ("same", "same", False, False, "official_release", ("same_measure", ["region", "year"])),
    ("same", "different", True, True, "report", ("same_measure", ["scope"])),
    ("same", "same", True, True, "blog", ("context", ["secondary_source"])),  # never like for like from a blog
    ("unknown", "unknown", True, False, "blog", ("context", ["instrument_unknown", "scope_unknown", "secondary_source", "year"])),
    ("unknown", "same", False, True, "report", ("context", ["instrument_unknown", "region"])),  # FPB: survey not stated
    ("different", "same", True, True, "official_release", ("context", ["instrument"])),
])
def test_comparability_separates_instrument_scope_region_year_and_source(instrument, scope, region, year, source, expected):
    assert comparability(instrument, scope, region, year, source) == expected


def test_the_non_respondent_calculation_counts_in_scope_firms_only():
    import pandas as pd

    published = pd.DataFrame({"indicator": ["fieldwork.responses", "fieldwork.reached", "fieldwork.usable", "fieldwork.excluded"],
                              "value": [2741, 12618, 1717, 1024]})
    gap = {"responses": "fieldwork.responses", "reached": "fieldwork.reached", "usable": "fieldwork.usable",
           "excluded": "fieldwork.excluded"}
    assert response_rate(published, gap) == pytest.approx(2741 / 12618)  # the published 22%
    rate = in_scope_response_rate(published, gap)
    assert rate == pytest.approx(1717 / (12618 - 1024))
    # official = rate * barometer + (1 - rate) * needed
    table = gap_decomposition({"estimate": 23.2, "ci_low": 21.0, "ci_high": 25.5}, {"estimate": 27.0, "ci_low": 24.0, "ci_high": 30.0},
                              {"difference": -3.8, "ci_low": -5.8, "ci_high": -1.7}, 10.32, rate)
    needed = table["value"].iloc[3]
    assert rate * 27.0 + (1 - rate) * needed == pytest.approx(10.32)
    assert table["value"].iloc[0] == pytest.approx(table["value"].iloc[1] + table["value"].iloc[2], abs=0.11)


def test_the_render_date_is_the_source_date_never_the_clock(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764633600")
    assert source_date(tmp_path) == datetime.fromtimestamp(1764633600, tz=timezone.utc).strftime("%Y-%m-%d") == "2025-12-02"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BarometerError, match="SOURCE_DATE_EPOCH must be whole seconds"):
        source_date(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert source_date(tmp_path) == ""  # not a git checkout: undated rather than today
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "f").write_text("x")
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b",
           "GIT_COMMITTER_DATE": "2021-05-31T12:00:00+00:00", "GIT_AUTHOR_DATE": "2021-05-31T12:00:00+00:00", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "add", "f"], cwd=tmp_path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "m"], cwd=tmp_path, check=True, env=env)
    assert source_date(tmp_path) == "2021-05-31"


BLOCKS_QMD = """---
title: "Original title"
jupyter: python3
format:
  html:
    toc: true
---

```{python}
from IPython.display import Markdown, display
from barometer import report_blocks as B
display(B.Raw(typst_text="#set figure(numbering: none)"))
display(Markdown("# First section"))
display(B.Table(["Name", "Value"], [["alpha", B.cell("1.5", "(1.0\\u20132.0)", nowrap=True)]], caption="Table 1: Values"))
display(Markdown("## A subsection"))
display(B.Figure(png=Path("banner.png"), svg=Path("banner.svg"), caption="Figure 7: A banner with its caption"))
display(B.Raw(html_text="<p>HTML-ONLY</p>", typst_text="TYPST-ONLY"))
```
"""


def test_render_report_overrides_the_title_names_the_outputs_and_adds_a_toc(tmp_path):
    from PIL import Image

    folder = tmp_path / "doc"
    folder.mkdir()
    Image.new("RGB", (40, 20), "steelblue").save(folder / "banner.png")
    (folder / "banner.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                                       '<rect width="40" height="20" fill="steelblue"/></svg>', encoding="utf-8")
    (folder / "blocks.qmd").write_text(BLOCKS_QMD.replace("from barometer", "from pathlib import Path\nfrom barometer"),
                                       encoding="utf-8")
    src = Path(__file__).resolve().parents[1] / "workflow" / "src"
    record = render_report(folder / "blocks.qmd", tmp_path / "out", renderer="fallback", pythonpath=[src], stem="blocks_nl",
                           metadata={"title": "Vertaalde titel", "lang": "nl", "toc-title": "Inhoud", "author": ["Iemand"]})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["blocks_nl.html", "blocks_nl.pdf", "blocks_nl.render.json"]
    assert record["source"] == "blocks.qmd"
    html = (tmp_path / "out" / "blocks_nl.html").read_text(encoding="utf-8")
    assert "<title>Vertaalde titel</title>" in html and 'lang="nl"' in html and "Original title" not in html
    toc = re.search(r'<nav id="TOC" role="doc-toc">(.*?)</nav>', html, re.S).group(1)
    assert "Inhoud" in toc and 'href="#First-section"' in toc and 'href="#A-subsection"' in toc
    assert re.search(r'<img alt="Figure 7: A banner with its caption" src="data:image/png;base64,', html)
    assert "HTML-ONLY" in html and "TYPST-ONLY" not in html and "#set figure" not in html
    assert re.search(r"<caption>Table 1: Values</caption>", html)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "out" / "blocks_nl.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Vertaalde titel" in text and "Iemand" in text and "TYPST-ONLY" in text and "HTML-ONLY" not in text
    assert "Figure 7: A banner with its caption" in text and "Figure 1: Figure 7" not in text  # no Typst numbering
    assert "(1.0\u20132.0)" in text
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "out" / "blocks_nl.pdf")], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert images == [], "the figure is embedded as SVG (vector), not as the PNG"


def test_the_report_references_are_the_methods_reference_list():
    """reports/references.yaml (what the report lists) and the reference list of docs/methods.md
    name the same works: every entry's first author and year are there."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    references = yaml.safe_load((root / "reports" / "references.yaml").read_text(encoding="utf-8"))
    methods = (root / "docs" / "methods.md").read_text(encoding="utf-8")
    listed = " ".join(methods[methods.index("## References"):].split())
    for key, entry in references.items():
        citation = " ".join(entry["citation"].split())
        author = citation.split(",")[0].split(":")[0]
        year = re.search(r"\((\d{4})\)", citation)
        assert author in listed, (key, author)
        if year:
            assert re.search(rf"{re.escape(author)}[^()]*\({year.group(1)}\)", listed), (key, author, year.group(1))


def test_key_findings_show_bounds_on_the_reconstruction_and_nothing_on_real_microdata(tmp_path):
    """Issue 12 item 3 and 4: a number of the bundled reconstruction that the published tables do not
    pin down is given with their range, rounded outward (37.0499-100 -> 37.0-100.0); a published one
    stands alone; on real microdata (identified_by 'microdata', no bounds) no range and no note."""
    import pandas as pd

    from barometer.reporting import Context, key_findings, key_findings_support

    rows = pd.DataFrame({
        "indicator": ["adoption.any", "adoption.any"], "domain": ["all", "size=large"],
        "estimate": [23.21352544, 73.90287911], "ci_low": [20.81716272, 67.8640295], "ci_high": [25.74581438, 79.34083826],
        "n": [1717, 240], "flag": ["ok", "ok"], "identified_by": ["published", "bounded"],
        "bound_low": [23.15, 37.0499], "bound_high": [23.25, 100.0]})
    for language, expected in (("en", "73.9% (95% CI 67.9\u201379.3; reconstruction; the published tables allow 37.0\u2013100.0%)"),
                               ("nl", "73,9% (95%-BI 67,9\u201379,3; reconstructie; de gepubliceerde tabellen laten 37,0\u2013100,0% toe)")):
        for name, table in (("bundled", rows), ("real", rows.assign(identified_by="microdata", bound_low=None, bound_high=None))):
            path = tmp_path / f"{name}_{language}.csv"
            table.to_csv(path, index=False)
            ctx = Context(files={"estimates": str(path)}, figures={}, meta={"language": language, "ci_level": 0.95})
            text = key_findings(ctx)
            lines = text.splitlines()
            assert len(lines) == 2 and "allow" not in lines[0] and "toe)" not in lines[0]
            if name == "bundled":
                assert expected in lines[1] and key_findings_support(ctx)
            else:
                assert "reconstruct" not in text and "published tables" not in text and "gepubliceerde" not in text
                assert lines[1].split(":** ", 1)[1].startswith(expected.split(";")[0] + ")") and key_findings_support(ctx) == ""
