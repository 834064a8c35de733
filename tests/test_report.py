"""The rendered report as a reader meets it: every figure loads, nothing errors, the PDF reads."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="headless Chromium not installed (make test installs Debian's chromium)")
def test_the_html_report_loads_every_figure_without_errors(full_run):
    from barometer.browser import inspect_page

    page = inspect_page(full_run / "results/report/barometer.html")
    assert page["console_errors"] == [] and page["page_errors"] == [] and page["failed_requests"] == []
    assert len(page["images"]) >= 18
    assert all(image["natural_width"] > 0 for image in page["images"])
    assert page["title"].startswith("AI-Barometer 2021")


def test_the_pdf_pages_render(full_run, tmp_path):
    pdf = str(full_run / "results/report/barometer.pdf")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "3", pdf, str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 5_000 for p in pages)
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert "AI-Barometer 2021" in first and "reconstruction" in first


def test_no_pdf_text_runs_past_the_right_margin(full_run):
    """Every word of the PDF ends inside the text block (typst's margin is about 69 pt on A4; tables
    with unbreakable long names used to run off the page)."""
    pdf = str(full_run / "results/report/barometer.pdf")
    boxes = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True, check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', boxes, re.S)
    assert len(pages) >= 20
    outside = [(number, word) for number, (width, body) in enumerate(pages, 1)
               for right, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', body)
               if float(right) > float(width) - 60]
    assert not outside, outside[:5]


def test_the_report_is_rendered_in_dutch_labels_when_configured(full_run, tmp_path):
    import yaml

    from conftest import run_workflow

    copy = tmp_path / "nl"
    shutil.copytree(full_run, copy, symlinks=True)
    override = copy / "nl.yaml"
    override.write_text(yaml.safe_dump({"report": {"language": "nl"}}))
    run_workflow(copy, "--configfile", str(override))
    html = (copy / "results/report/barometer.html").read_text(encoding="utf-8")
    english = (full_run / "results/report/barometer.html").read_text(encoding="utf-8")
    # figure captions carry the codebook's Dutch titles and labels; the English run's do not
    for dutch in ("Drempels adoptie AI-technologieën", "Adoptiegraad type AI-technologieën per bedrijfssector"):
        assert dutch in html and dutch not in english
    assert "Barriers to adopting AI technologies" in english and "Barriers to adopting AI technologies" not in html
