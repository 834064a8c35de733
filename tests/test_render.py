"""Tests for barometer.render (real renders through the Jupyter fallback) and barometer.browser."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from barometer.browser import chromium_path, inspect_page, screenshot
from barometer.render import RenderError, render_report

DEMO = Path(__file__).parent / "fixtures" / "render_demo" / "demo.qmd"
ADOPTION_CSV = """size_class,firms,adoption_pct
Micro (1-9),412,18.25
Small (10-49),288,27.5
Medium (50-249),143,41.75
Large (250+),57,63.0
"""
# A4 text width with the 2.5 cm margins of the default layout, in PDF points.
A4_TEXT_WIDTH_PT = 595.28 - 2 * 2.5 / 2.54 * 72

FEATURES_QMD = f"""---
title: "Feature check"
jupyter: python3
---

Plain markdown text with an image file ![banner](banner.png) in it.

```{{python}}
#| echo: true
shown = "ECHO-TRUE-CODE"
```

```{{python}}
#| output: asis
print("| Key | Value |")
print("|-----|-------|")
print("| asis-key | asis-value |")
```

```{{python}}
#| include: false
print("INCLUDE-FALSE-OUTPUT")
```

```{{python}}
#| eval: false
print("EVAL-FALSE-OUTPUT")
```

```{{python}}
#| output: false
print("OUTPUT-FALSE-TEXT")
```

```{{python}}
import sys
from pathlib import Path
print("cwd-ok" if Path("features.qmd").is_file() else "cwd-wrong",
      "kernel-ok" if sys.prefix == {sys.prefix!r} else "kernel-wrong")
```

```{{python}}
#| fig-cap: "A figure much wider than the page."
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(14, 3))
ax.plot(range(10))
plt.show()
```

```{{python}}
from IPython.display import Markdown
rows = "\\n".join(f"| row-{{i}} | {{i * i}} |" for i in range(1, 151))
Markdown("| Row | Square |\\n|-----|------:|\\n" + rows)
```
"""

FAILING_QMD = """---
title: "Broken"
jupyter: python3
---

```{python}
x = 1
```

```{python}
#| label: broken-cell
values = [x, 2]
raise ValueError("boom-marker")
```
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (poppler-utils) is needed by the tests: run `make system-deps`")
    return path


def _pdftotext(pdf: Path) -> str:
    """The PDF's text with all whitespace runs collapsed to single spaces."""
    text = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


class _Links(HTMLParser):
    """Collects every src/href/srcset/poster attribute value and the tag it sits on."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [(tag, value or "") for name, value in attrs
                      if name in ("src", "href", "srcset", "poster", "data")]


@pytest.fixture(scope="module")
def context_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The context JSON the workflow hands the report, pointing at a small CSV."""
    folder = tmp_path_factory.mktemp("context")
    (folder / "adoption.csv").write_text(ADOPTION_CSV, encoding="utf-8")
    context = folder / "context.json"
    context.write_text(json.dumps({"adoption_csv": str(folder / "adoption.csv")}), encoding="utf-8")
    return context


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory,
              context_file: Path) -> list[tuple[dict, Path]]:
    """The demo rendered twice, into two folders: (returned record, output folder); the second
    reports its progress (``PROGRESS``), which must change no byte."""
    runs = []
    for name in ("first", "second"):
        out = tmp_path_factory.mktemp(name)
        progress = (lambda done, total: PROGRESS.append((done, total))) if name == "second" else None
        runs.append((render_report(DEMO, out, context_file=context_file, renderer="fallback", progress=progress), out))
    return runs


PROGRESS: list[tuple[int, int]] = []  # what the second demo render reported


def test_rendering_reports_each_code_cell_and_format(demo_runs: list[tuple[dict, Path]]) -> None:
    total = PROGRESS[-1][1]
    cells = DEMO.read_text(encoding="utf-8").count("```{python}")
    # the hidden set-up cell, each code cell of the document, then HTML and PDF
    assert total == 1 + cells + 2 and PROGRESS == [(k, total) for k in range(1, total + 1)]


@pytest.fixture(scope="module")
def demo(demo_runs: list[tuple[dict, Path]]) -> Path:
    return demo_runs[0][1]


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("features")
    (folder / "features.qmd").write_text(FEATURES_QMD, encoding="utf-8")
    shutil.copy(DEMO.parent / "banner.png", folder / "banner.png")
    render_report(folder / "features.qmd", folder / "out", renderer="fallback")
    return folder / "out"


def test_outputs_and_record(demo_runs: list[tuple[dict, Path]]) -> None:
    record, out = demo_runs[0]
    assert sorted(p.name for p in out.iterdir()) == ["demo.html", "demo.pdf", "demo.render.json"]
    text = (out / "demo.render.json").read_text()
    assert json.loads(text) == record
    assert text == json.dumps(record, indent=2, sort_keys=True) + "\n"
    assert record["renderer"] == "jupyter-fallback"
    tools = {"python", "jupytext", "nbclient", "nbconvert", "nbformat", "ipykernel", "pandoc",
             "typst"}
    assert tools <= set(record["tool_versions"])
    for entry in record["outputs"]:
        data = (out / entry["file"]).read_bytes()
        assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert str(out) not in text and "/tmp" not in text


def test_html_content(demo: Path, context_file: Path) -> None:
    html = (demo / "demo.html").read_text(encoding="utf-8")
    assert "<title>AI-Barometer demo report</title>" in html
    assert re.search(r'<h1 class="title">AI-Barometer demo report</h1>', html)
    assert "Renderer test fixture" in html and "2025-01-31" in html
    table = re.search(r"<table>.*?</table>", html, re.S)
    assert table, "the Markdown pipe table must become an HTML table"
    for value in ("Size class", "Micro (1-9)", "412", "18.2", "Large (250+)", "63.0"):
        assert value in table.group(0)
    assert "Figure 1: Share of firms using AI, by size class." in html
    assert "Computed from 900 responding firms." in html
    for leak in ("DEMO-WARNING-TEXT", "UserWarning", "#|", "fig-cap", "import ", "warnings.warn",
                 "BAROMETER_REPORT_CONTEXT", 'data-type="inline"',
                 str(context_file.parent), str(DEMO.parent)):
        assert leak not in html, f"{leak!r} leaked into the HTML"
    assert not re.search(r"(In|Out)(&nbsp;)?\[\d", html), "no execution prompts"


def test_html_is_self_contained(demo: Path) -> None:
    html = (demo / "demo.html").read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(html)
    images = [value for tag, value in parser.refs if tag == "img"]
    assert len(images) == 2 and all(v.startswith("data:image/png;base64,") for v in images)
    external = [(tag, value[:80]) for tag, value in parser.refs
                if not value.startswith(("data:", "#"))]
    assert external == []
    assert not re.search(r"<script[^>]*\bsrc=", html) and "<link" not in html
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html), "CSS may only use data: URLs"
    assert "@import" not in html


@pytest.mark.skipif(not chromium_path().exists(), reason="Chromium is not installed")
def test_html_in_browser(demo: Path, tmp_path: Path) -> None:
    page = inspect_page(demo / "demo.html")
    assert page["console_errors"] == [] and page["page_errors"] == []
    assert page["failed_requests"] == []
    assert page["title"] == "AI-Barometer demo report"
    assert len(page["images"]) == 2
    for image in page["images"]:
        assert image["complete"] and image["natural_width"] > 0 and image["natural_height"] > 0
    assert page["text_length"] > 300
    png = screenshot(demo / "demo.html", tmp_path / "demo.png", width=1000)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf(demo: Path, tmp_path: Path) -> None:
    pdf = demo / "demo.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = _pdftotext(pdf)
    for value in ("AI-Barometer demo report", "Renderer test fixture", "Micro (1-9)", "41.8",
                  "Figure 1: Share of firms using AI, by size class.", "Computed from 900"):
        assert value in text, value
    assert "DEMO-WARNING-TEXT" not in text and "#|" not in text
    subprocess.run([_tool("pdftoppm"), "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf),
                    str(tmp_path / "page")], check=True)
    (page,) = tmp_path.glob("page*.png")
    assert page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and page.stat().st_size > 5000


def test_renders_are_byte_identical(demo_runs: list[tuple[dict, Path]]) -> None:
    (first, a), (second, b) = demo_runs
    for name in ("demo.html", "demo.pdf", "demo.render.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert first == second


def test_quarto_cell_options(features: Path) -> None:
    html = (features / "features.html").read_text(encoding="utf-8")
    assert "ECHO-TRUE-CODE" in html, "#| echo: true shows the cell's code"
    assert re.search(r"<table>.*asis-key.*asis-value.*</table>", html, re.S), "#| output: asis"
    assert "cwd-ok kernel-ok" in html
    assert re.search(r'<img alt="banner" src="data:image/png;base64,', html), "Markdown image"
    assert "Figure 1: A figure much wider than the page." in html
    for absent in ("INCLUDE-FALSE-OUTPUT", "EVAL-FALSE-OUTPUT", "OUTPUT-FALSE-TEXT", "#|"):
        assert absent not in html, absent


def test_pdf_layout(features: Path) -> None:
    pdf = features / "features.pdf"
    text = _pdftotext(pdf)
    assert "asis-key" in text and "cwd-ok kernel-ok" in text
    # The 150-row table breaks across pages instead of being cut off.
    assert "row-1 " in text and "row-150" in text
    pages = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 3
    # Images are scaled down to the text width: displayed width = pixels / x-ppi inches.
    listing = subprocess.run([_tool("pdfimages"), "-list", str(pdf)], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    widths = [int(row.split()[3]) * 72 / float(row.split()[12]) for row in listing
              if row.split()[2] == "image"]
    assert len(widths) == 2, "the Markdown image and the figure"
    assert all(w <= A4_TEXT_WIDTH_PT + 1 for w in widths), widths


def test_failing_cell_raises_and_leaves_nothing(tmp_path: Path) -> None:
    qmd = tmp_path / "broken.qmd"
    qmd.write_text(FAILING_QMD, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "broken.html").write_text("stale output of an earlier run")
    with pytest.raises(RenderError) as info:
        render_report(qmd, out, renderer="fallback")
    message = str(info.value)
    assert "code cell 2 (broken-cell)" in message
    assert "ValueError: boom-marker" in message and "values = [x, 2]" in message
    assert list(out.iterdir()) == []


def test_cell_timeout_names_the_cell(tmp_path: Path) -> None:
    qmd = tmp_path / "slow.qmd"
    qmd.write_text('---\ntitle: "Slow"\njupyter: python3\n---\n\n'
                   '```{python}\n#| label: slow-cell\nimport time\ntime.sleep(60)\n```\n')
    with pytest.raises(RenderError, match=r"cell 1 \(slow-cell\) failed with CellTimeoutError"):
        render_report(qmd, tmp_path / "out", renderer="fallback", timeout=2)
    assert list((tmp_path / "out").iterdir()) == []


def test_auto_without_quarto_uses_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no quarto (nor anything else) on PATH
    qmd = tmp_path / "mini.qmd"
    qmd.write_text('---\ntitle: "Mini"\njupyter: python3\n---\n\n```{python}\nprint(6 * 7)\n```\n')
    record = render_report(qmd, tmp_path / "out", formats=("html",))
    assert record["renderer"] == "jupyter-fallback"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mini.html", "mini.render.json"]
    assert "42" in (tmp_path / "out" / "mini.html").read_text()


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        render_report(DEMO, tmp_path, formats=("docx",))
    with pytest.raises(ValueError):
        render_report(DEMO, tmp_path, renderer="latex")
