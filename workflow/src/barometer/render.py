"""Render a Quarto report (``.qmd``, Jupyter engine) to self-contained HTML and PDF.

``render_report`` uses ``quarto render`` when Quarto is on PATH and otherwise a pure-Python fallback
built from jupytext (read), nbclient (execute), nbconvert (HTML, Markdown), pandoc (Markdown to
Typst) and the ``typst`` package (PDF). Both write ``<stem>.html``, ``<stem>.pdf`` and
``<stem>.render.json`` into the output directory, and nothing at all when the render fails.

The fallback understands the subset of Quarto a plain analysis report needs: the YAML title block,
``execute: echo``, the cell options ``echo`` (default false), ``eval``, ``include``, ``output``
(``false``/``asis``), ``label``, ``fig-cap``, and figure sizing (``fig-width``, ``fig-height``,
``fig-dpi``, ``fig-format`` at the top level or under ``format: html``), a table of contents
(``toc: true`` and ``toc-title``, at the top level or under ``format: html``; in the HTML a ``<nav>``
listing the level 1 and 2 headings) and the document language (``lang``). Typst page options under
``format: typst`` (``papersize``, ``margin``, ``fontsize``, ``toc``, ...) are passed on to pandoc,
whose variables Quarto's typst format shares. ``metadata`` given to ``render_report`` overrides the
document's YAML header (e.g. the title of a translated rendering); ``stem`` names the outputs. Raw
``{=html}`` and ``{=typst}`` blocks in Markdown output reach only their own format. Not supported by the fallback: inline ``{python}`` code,
shortcodes, callouts and other ``:::`` divs, cross-references (``@fig-...`` stays literal text),
citations, math in the HTML (left as TeX source), ``tbl-cap``, interactive (JavaScript) outputs,
and HTML-only outputs such as a DataFrame's table in the PDF (its text form is used there).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONTEXT_ENV", "RenderError", "remove_staging", "render_report"]

CONTEXT_ENV = "BAROMETER_REPORT_CONTEXT"
FORMATS = ("html", "pdf")
_log = logging.getLogger(__name__)
_KERNEL_NAME = "barometer-python3"
_FIGURE_KEY = "barometer-figure"  # output metadata: {"number", "caption"}
# Quarto's HTML figure defaults; one execution feeds both formats, typst scales images to fit.
_FIG_DEFAULTS = {"fig-width": 7, "fig-height": 5, "fig-dpi": 96, "fig-format": "retina"}
_PANDOC_DEFAULTS = {"papersize": "a4", "fontsize": "11pt", "margin": {"x": "2.5cm", "y": "2.5cm"},
                    "page-numbering": "1"}
# Executed first, then removed: the same matplotlib set-up Quarto's Jupyter engine performs.
_SETUP = """\
try:
    import matplotlib.pyplot as _plt
    from matplotlib_inline.backend_inline import set_matplotlib_formats as _formats
except ImportError:
    pass
else:
    _plt.rcParams.update({{"figure.figsize": ({w}, {h}), "figure.dpi": {dpi},
                           "savefig.dpi": "figure"}})
    _formats({fmt!r})
    del _plt, _formats
"""
_HTML_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{#- Nothing may load from elsewhere: no require.js, MathJax, Mermaid or widget scripts. -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}
<style type="text/css">
main { max-width: 54rem; margin: 0 auto; padding: 2rem 1.5rem 4rem;
       font-family: var(--jp-content-font-family); }
.jp-RenderedImage img, figure img { max-width: 100%; height: auto; }
figure.barometer-figure { margin: 1rem 0; }
figure.barometer-figure figcaption { text-align: center; font-style: italic; margin-top: .4rem; }
header.title-block { text-align: center; margin-bottom: 2rem; }
header.title-block h1 { font-size: 2rem; margin-bottom: .3rem; }
header.title-block .subtitle { font-size: 1.3rem; margin: 0 0 .6rem; }
header.title-block .author, header.title-block .date { margin: .2rem 0; }
nav#TOC { border: 1px solid #ddd; border-radius: 4px; padding: .6rem 1.2rem; margin: 0 0 2rem; }
nav#TOC h2 { font-size: 1.1rem; margin: .2rem 0 .4rem; }
nav#TOC ul { margin: 0; padding-left: 1.2rem; }
nav#TOC li { margin: .1rem 0; }
div.table-wrap { overflow-x: auto; margin: 1rem 0; }
table.barometer-table { border-collapse: collapse; font-size: .85rem; }
table.barometer-table caption { caption-side: top; text-align: left; font-weight: bold; padding: .3rem 0; }
table.barometer-table th, table.barometer-table td { padding: .2rem .5rem; vertical-align: top; border: none; }
table.barometer-table thead th { border-bottom: 1px solid #888; }
table.barometer-table tbody tr:nth-child(even) { background: #f2f2f2; }
table.barometer-table tr.group th { background: #e1e1e1; text-align: left; }
.nowrap { white-space: nowrap; }
p.table-notes { font-size: .8rem; margin-top: .2rem; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{%- set tb = resources.barometer_title %}
{%- if tb.title %}
<header class="title-block">
<h1 class="title">{{ tb.title | escape_html }}</h1>
{%- if tb.subtitle %}<p class="subtitle">{{ tb.subtitle | escape_html }}</p>{% endif %}
{%- for name in tb.authors %}<p class="author">{{ name | escape_html }}</p>{% endfor %}
{%- if tb.date %}<p class="date">{{ tb.date | escape_html }}</p>{% endif %}
</header>
{%- endif %}
{%- endblock body_header -%}
{%- block output -%}
{%- set figure = output.get('metadata', {}).get('barometer-figure') -%}
{%- if figure -%}
<figure class="barometer-figure">{{ super() }}
<figcaption>{{ ('Figure %d: ' % figure.number ~ figure.caption) | markdown2html }}</figcaption>
</figure>
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock output -%}
"""
# Images become ``![caption](file)``: pandoc turns captioned ones into numbered typst figures.
_MD_TEMPLATE = """\
{%- extends 'markdown/index.md.j2' -%}
{%- macro image(output, mime) -%}
{%- set figure = output.metadata.get('barometer-figure', {}) -%}
![{{ figure.get('caption', '') }}]({{ output.metadata.filenames[mime] | path2url }})
{%- endmacro -%}
{% block data_svg %}
{{ image(output, 'image/svg+xml') }}
{% endblock data_svg %}
{% block data_png %}
{{ image(output, 'image/png') }}
{% endblock data_png %}
{% block data_jpg %}
{{ image(output, 'image/jpeg') }}
{% endblock data_jpg %}
"""
# pandoc's typst template imports ``conf`` from the file named by its ``template`` variable and
# calls it with the document's metadata; the parameters not listed here land in ``rest``.
_TYPST_TEMPLATE = """\
#let conf(title: none, subtitle: none, authors: (), date: none, abstract: none, paper: "a4",
          margin: (x: 2.5cm, y: 2.5cm), lang: "en", region: none, font: none, fontsize: 11pt,
          sectionnumbering: none, pagenumbering: "1", cols: 1, ..rest) = {
  set document(title: title, date: none)
  set page(paper: paper, margin: margin, numbering: pagenumbering, columns: cols)
  set text(lang: lang, size: fontsize)
  set text(region: region) if region != none
  set text(font: font) if font != none
  set par(justify: true)
  set heading(numbering: sectionnumbering)
  show heading: set block(above: 1.4em, below: 0.8em)
  show figure.where(kind: table): set block(breakable: true)
  set table(stroke: none, fill: (x, y) => if y > 0 and calc.even(y) { luma(242) })
  show table.cell.where(y: 0): set text(weight: "bold")
  show raw.where(block: true): it => block(fill: luma(246), inset: 6pt, radius: 2pt, width: 100%,
                                           text(size: 0.85em, it))
  if title != none {
    align(center, block(below: 2em, {
      set par(justify: false)  // a title is not justified, so never hyphenated
      text(size: 1.6em, weight: "bold", title)
      if subtitle != none { parbreak(); text(size: 1.25em, subtitle) }
      for author in authors { parbreak(); author.name }
      if date != none { parbreak(); date }
    }))
  }
  if abstract != none { block(inset: (x: 2em, bottom: 1em), abstract) }
  rest.pos().last()
}
"""


class RenderError(RuntimeError):
    """The report could not be rendered (failing code cell, converter or compiler error)."""


def render_report(qmd: Path, output_dir: Path, *, context_file: Path | None = None,
                  formats: Iterable[str] = FORMATS, renderer: str = "auto",
                  timeout: int = 600, pythonpath: Iterable[str] = (), stem: str | None = None,
                  metadata: dict[str, Any] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Render ``qmd`` to ``<output_dir>/<stem>.html`` / ``.pdf`` and describe the run.

    Args:
        qmd: the Quarto document; its code runs with the document's directory as working directory.
        output_dir: where the outputs go (created if missing).
        context_file: passed, as an absolute path, to the executed code in
            ``$BAROMETER_REPORT_CONTEXT``.
        formats: any of ``"html"`` and ``"pdf"``.
        renderer: ``"auto"`` (Quarto when on PATH, else the fallback), ``"quarto"`` or
            ``"fallback"``.
        timeout: seconds allowed per code cell (fallback) or per ``quarto render`` call.
        pythonpath: folders put first on the executed code's ``PYTHONPATH`` (e.g. the package the
            document imports, when it is not installed in the environment).
        stem: the outputs' name without suffix (default: the document's), e.g. one per language.
        metadata: YAML header entries that override the document's (``title``, ``subtitle``,
            ``author``, ``date``, ``lang``, ``toc-title``, ...).
        progress: called as ``progress(steps done, steps)`` after each executed code cell (fallback)
            and each output format written; it only reports.

    Returns:
        ``{"renderer", "source", "tool_versions", "outputs": [{"file", "bytes", "sha256"}]}``, also
        written (sorted keys, no timestamps) to ``<output_dir>/<stem>.render.json``.

    Raises:
        RenderError: rendering failed; the previous outputs of this document are gone and no new
            ones were written.
    """
    qmd, output_dir = Path(qmd).resolve(), Path(output_dir).resolve()
    stem = stem or qmd.stem
    metadata = dict(metadata or {})
    formats = (formats,) if isinstance(formats, str) else tuple(dict.fromkeys(formats))
    if not formats or set(formats) - set(FORMATS):
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}, got {formats}")
    if renderer not in ("auto", "quarto", "fallback"):
        raise ValueError(f"renderer must be 'auto', 'quarto' or 'fallback', got {renderer!r}")
    use_quarto = renderer == "quarto" or (renderer == "auto" and shutil.which("quarto") is not None)

    env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
    env.pop("MPLBACKEND", None)  # a CI-wide MPLBACKEND=Agg would keep figures out of the report
    if context_file is not None:
        env[CONTEXT_ENV] = str(Path(context_file).resolve())
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), *filter(None, [env.get("PYTHONPATH")])])

    targets = {fmt: output_dir / f"{stem}.{fmt}" for fmt in formats}
    record_path = output_dir / f"{stem}.render.json"
    for path in (*targets.values(), record_path):  # a failed render must not leave stale outputs
        path.unlink(missing_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    remove_staging(output_dir, stem, recursive=False)  # this document's only: the other languages may be rendering
    # Staged beside the targets so that moving them into place is atomic.
    with tempfile.TemporaryDirectory(prefix=f".{stem}.render-", dir=output_dir) as tmp:
        render = _render_quarto if use_quarto else _render_fallback
        staged = render(qmd, Path(tmp), formats, env, timeout, metadata, stem, progress or (lambda done, total: None))
        for fmt in formats:
            os.replace(staged[fmt], targets[fmt])

    record = {
        "renderer": "quarto" if use_quarto else "jupyter-fallback",
        "source": qmd.name,
        "tool_versions": _tool_versions(use_quarto),
        "outputs": [{"file": path.name, "bytes": path.stat().st_size,
                     "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
                    for path in targets.values()],
    }
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return record


def remove_staging(folder: Path, stem: str = "*", *, recursive: bool = True) -> list[Path]:
    """Remove the staging folders (``.<stem>.render-*``) of renders that were killed: a process
    killed with SIGKILL, or a machine that lost power, cannot clean up after itself, so the next run
    does. Returns the folders removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = f".{stem}.render-*"
    found = sorted(p for p in (folder.rglob(pattern) if recursive else folder.glob(pattern)) if p.is_dir())
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    return found


def _tool_versions(use_quarto: bool) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    if use_quarto:
        versions["quarto"] = subprocess.run(["quarto", "--version"], capture_output=True, text=True,
                                            check=True).stdout.strip()
        return versions
    import pypandoc

    for dist in ("jupytext", "nbclient", "nbconvert", "nbformat", "ipykernel", "typst"):
        versions[dist] = importlib.metadata.version(dist)
    versions["pandoc"] = pypandoc.get_pandoc_version()
    return versions


# --------------------------------------------------------------------------------------- Quarto


def _render_quarto(qmd: Path, staging: Path, formats: tuple[str, ...], env: dict[str, str],
                   timeout: int, metadata: dict[str, Any], stem: str,
                   progress: Callable[[int, int], None]) -> dict[str, Path]:
    """Run ``quarto render`` once per format (HTML with embedded resources, PDF through typst)."""
    env = {"QUARTO_PYTHON": sys.executable, **env,  # the kernel runs this environment's Python
           "SOURCE_DATE_EPOCH": env.get("SOURCE_DATE_EPOCH", "0")}  # reproducible typst PDF
    args = {"html": ["--to", "html", "-M", "embed-resources:true"], "pdf": ["--to", "typst"]}
    extra = []
    if metadata:
        overrides = staging / "metadata.yaml"
        overrides.write_text(yaml.safe_dump(metadata, allow_unicode=True, sort_keys=True), encoding="utf-8")
        extra = ["--metadata-file", str(overrides)]
    staged = {}
    for fmt in formats:
        name = f"{stem}.{fmt}"
        cmd = ["quarto", "render", str(qmd), *args[fmt], *extra, "--execute", "--output-dir", str(staging),
               "--output", name]
        try:
            subprocess.run(cmd, cwd=qmd.parent, env=env, capture_output=True, text=True,
                           check=True, timeout=timeout)
        except subprocess.CalledProcessError as exc:
            tail = "\n".join((exc.stderr or exc.stdout or "").strip().splitlines()[-30:])
            raise RenderError(f"quarto render of {qmd.name} to {fmt} failed:\n{tail}") from exc
        except subprocess.TimeoutExpired as exc:
            raise RenderError(
                f"quarto render of {qmd.name} to {fmt} timed out after {timeout}s") from exc
        staged[fmt] = staging / name
        if not staged[fmt].is_file():
            raise RenderError(f"quarto render of {qmd.name} did not produce {staged[fmt].name}")
        progress(len(staged), len(formats))
    return staged


# ------------------------------------------------------------------------------------- fallback


def _render_fallback(qmd: Path, staging: Path, formats: tuple[str, ...], env: dict[str, str],
                     timeout: int, metadata: dict[str, Any], stem: str,
                     progress: Callable[[int, int], None]) -> dict[str, Path]:
    header, nb = _read_qmd(qmd)
    header = {**header, **metadata}
    # steps: each code cell that runs (and the hidden set-up cell), then each format
    cells = 1 + sum(c.cell_type == "code" and c.source.strip() != "" and "skip-execution" not in c.metadata.get("tags", [])
                    for c in nb.cells)
    total = cells + len(formats)
    _execute(nb, qmd, header, env, timeout, lambda done: progress(done, total))
    _prepare_for_export(nb, header)
    staged = {}
    if "html" in formats:
        staged["html"] = staging / f"{stem}.html"
        staged["html"].write_text(_to_html(nb, header, qmd.parent), encoding="utf-8")
        progress(cells + len(staged), total)
    if "pdf" in formats:
        staged["pdf"] = staging / f"{stem}.pdf"
        staged["pdf"].write_bytes(_to_pdf(nb, header, qmd.parent, staging / "pdf-work"))
        progress(cells + len(staged), total)
    return staged


def _read_qmd(qmd: Path) -> tuple[dict[str, Any], Any]:
    """Read the document with jupytext's R Markdown reader; split off the YAML header and the
    ``#|`` cell options (kept in ``cell.metadata["quarto"]``, removed from the source)."""
    import jupytext

    nb = jupytext.reads(qmd.read_text(encoding="utf-8"), fmt="Rmd")
    header: dict[str, Any] = {}
    if nb.cells and nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("---"):
        header = next(yaml.safe_load_all(nb.cells.pop(0).source), None) or {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        n_opts = next((i for i, line in enumerate(lines) if not line.startswith("#|")), len(lines))
        try:
            options = yaml.safe_load("\n".join(line[2:] for line in lines[:n_opts])) or {}
        except yaml.YAMLError as exc:
            raise RenderError(f"{qmd.name}: invalid '#|' cell options in:\n{cell.source}") from exc
        cell.metadata["quarto"] = options
        cell.source = "\n".join(lines[n_opts:]).strip("\n")
        if options.get("eval") is False:
            cell.metadata.setdefault("tags", []).append("skip-execution")  # honoured by nbclient
    return header, nb


def _execute(nb: Any, qmd: Path, header: dict[str, Any], env: dict[str, str], timeout: int,
             executed: Callable[[int], None] = lambda done: None) -> None:
    """Execute ``nb`` in place with a kernel running this interpreter (no registered kernelspec
    needed), after a hidden matplotlib set-up cell; raise ``RenderError`` naming a failing cell.
    ``executed(code cells run so far)`` is called after each code cell."""
    import nbformat
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    fig = {key: _format_options(header, "html").get(key, header.get(key, default))
           for key, default in _FIG_DEFAULTS.items()}
    setup = _SETUP.format(w=float(fig["fig-width"]), h=float(fig["fig-height"]),
                          dpi=float(fig["fig-dpi"]), fmt=str(fig["fig-format"]))
    nb.cells.insert(0, nbformat.v4.new_code_cell(setup, metadata={"quarto": {"include": False}}))
    current: dict[str, int] = {}

    def on_cell_start(cell: Any, cell_index: int) -> None:
        current["index"] = cell_index

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        current["executed"] = current.get("executed", 0) + 1
        executed(current["executed"])

    with tempfile.TemporaryDirectory(prefix="barometer-kernel-") as kernels:
        write_kernel_spec(Path(kernels) / _KERNEL_NAME)  # runs sys.executable -m ipykernel_launcher
        # The kernel talks over Unix sockets in this private folder, not TCP ports: two renders
        # started at once (the report in two languages) could otherwise pick the same free port and
        # one kernel die with "Address already in use".
        km = AsyncKernelManager(kernel_name=_KERNEL_NAME,
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels]),
                                transport="ipc", ip=str(Path(kernels) / "kernel"))
        client = NotebookClient(nb, km=km, timeout=timeout, record_timing=False,
                                resources={"metadata": {"path": str(qmd.parent)}},
                                # keeps ipykernel's "running over TCP without encryption" notice
                                # (the kernel listens on localhost only) out of the workflow's logs
                                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                shutdown_kernel="immediate",
                                on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
        try:
            client.execute(env=env)
        except Exception as exc:
            index = current.get("index")
            if index is None:
                raise RenderError(f"{qmd.name}: could not start the Python kernel: {exc}") from exc
            cell = nb.cells[index]
            label = cell.metadata["quarto"].get("label")
            what = (f"{exc.ename}: {exc.evalue}" if isinstance(exc, CellExecutionError)
                    else f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
            source = "\n".join(cell.source.splitlines()[:4])
            raise RenderError(
                f"{qmd.name}: code cell {sum(c.cell_type == 'code' for c in nb.cells[1:index + 1])}"
                f"{f' ({label})' if label else ''} failed with {what}\n"
                f"{textwrap.indent(source, '    | ')}") from exc


def _format_options(header: dict[str, Any], name: str) -> dict[str, Any]:
    """The options under ``format: <name>:`` in the YAML header (``{}`` if none)."""
    formats = header.get("format")
    options = formats.get(name) if isinstance(formats, dict) else None
    return options if isinstance(options, dict) else {}


def _prepare_for_export(nb: Any, header: dict[str, Any]) -> None:
    """Apply the cell options to the executed notebook: drop stderr, hidden cells and code,
    turn ``output: asis`` text into Markdown, attach figure captions, fix ids and metadata."""
    import nbformat

    echo_default = bool((header.get("execute") or {}).get("echo", False))
    cells, n_figures = [], 0
    for cell in nb.cells:
        options = cell.metadata.pop("quarto", {}) if cell.cell_type == "code" else {}
        if options.get("include") is False:
            continue
        if cell.cell_type == "code":
            outputs = [o for o in cell.outputs
                       if not (o.output_type == "stream" and o.name == "stderr")]
            if options.get("output") is False:
                outputs = []
            elif options.get("output") == "asis":
                text = "".join(o.text for o in outputs if o.output_type == "stream")
                outputs = [o for o in outputs if o.output_type != "stream"]
                if text.strip():
                    outputs.insert(0, nbformat.v4.new_output(
                        "display_data", data={"text/markdown": text}))
            caption = options.get("fig-cap")
            image = next((o for o in outputs
                          if any(mime.startswith("image/") for mime in o.get("data", {}))), None)
            if caption and image is not None:
                n_figures += 1
                image.metadata[_FIGURE_KEY] = {"number": n_figures, "caption": str(caption)}
            cell.outputs = outputs
            if not options.get("echo", echo_default):
                if not outputs:
                    continue
                cell.metadata["transient"] = {"remove_source": True}
            cell.metadata.pop("execution", None)
        cells.append(cell)
    nb.cells = cells
    for i, cell in enumerate(nb.cells):  # jupytext gives random ids; the HTML anchors use them
        cell.id = f"cell-{i}"
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}}


def _title_block(header: dict[str, Any]) -> dict[str, Any]:
    authors = header.get("author") or []
    authors = authors if isinstance(authors, list) else [authors]
    return {
        "title": str(header.get("title") or ""),
        "subtitle": str(header.get("subtitle") or ""),
        "authors": [str(a.get("name", "")) if isinstance(a, dict) else str(a) for a in authors],
        "date": str(header.get("date") or ""),
    }


def _to_html(nb: Any, header: dict[str, Any], source_dir: Path) -> str:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab", extra_loaders=[DictLoader({"barometer.html.j2": _HTML_TEMPLATE})],
        template_file="barometer.html.j2", exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True,  # images referenced from Markdown text become data: URIs
        language_code=str(header.get("lang", "en")),
    )
    nb.metadata["title"] = _title_block(header)["title"] or "Report"
    resources = {"metadata": {"path": str(source_dir), "name": "report"},
                 "barometer_title": _title_block(header)}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    return _finish_html(html, header)


_NO_ALT = "No description has been provided for this image"  # nbconvert's placeholder


def _finish_html(html: str, header: dict[str, Any]) -> str:
    """A figure's caption as the alt text of its image (instead of nbconvert's placeholder), and
    the table of contents when the header asks for one: a ``<nav id="TOC">`` after the title block
    linking every level 1 and 2 heading (by the ids nbconvert gives them)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, features="html.parser")
    for figure in soup.select("figure"):
        caption = figure.find("figcaption")
        for img in figure.find_all("img"):
            if caption is not None and img.get("alt") in (None, "", _NO_ALT):
                img["alt"] = caption.get_text(" ", strip=True)
    options = {**header, **_format_options(header, "html")}
    if options.get("toc"):
        entries = []
        for heading in soup.find_all(["h1", "h2"]):
            if "title" in (heading.get("class") or []) or not heading.get("id"):
                continue
            for anchor in heading.select("a.anchor-link"):
                anchor.decompose()
            entries.append((heading.name, heading["id"], heading.get_text(" ", strip=True)))
        if entries:
            nav = soup.new_tag("nav", id="TOC", role="doc-toc")
            title = soup.new_tag("h2", id="toc-title")
            title.string = str(options.get("toc-title") or "Contents")
            nav.append(title)
            top = soup.new_tag("ul")
            nav.append(top)
            current = None
            for level, ident, text in entries:
                item = soup.new_tag("li")
                link = soup.new_tag("a", href=f"#{ident}")
                link.string = text
                item.append(link)
                if level == "h2" and current is not None:
                    sub = current.find("ul")
                    if sub is None:
                        sub = soup.new_tag("ul")
                        current.append(sub)
                    sub.append(item)
                else:
                    top.append(item)
                    current = item
            block = soup.select_one("header.title-block")
            if block is not None:
                block.insert_after(nav)
            else:
                (soup.find("main") or soup.body).insert(0, nav)
    return str(soup)


def _to_pdf(nb: Any, header: dict[str, Any], source_dir: Path, work: Path) -> bytes:
    """Notebook -> Markdown (images extracted into ``work``) -> pandoc -> Typst -> PDF."""
    import pypandoc
    import typst
    from jinja2 import DictLoader
    from nbconvert import MarkdownExporter
    from traitlets.config import Config

    # Prefer what pandoc can typeset: Markdown and images over HTML (e.g. DataFrame reprs).
    priority = ["text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain"]
    exporter = MarkdownExporter(
        config=Config({"NbConvertBase": {"display_data_priority": priority}}),
        extra_loaders=[DictLoader({"barometer.md.j2": _MD_TEMPLATE})],
        template_file="barometer.md.j2",
        exclude_input_prompt=True, exclude_output_prompt=True,
    )
    markdown, resources = exporter.from_notebook_node(nb, resources={"unique_key": "figure"})
    work.mkdir(parents=True)
    for name, data in resources.get("outputs", {}).items():
        (work / name).write_bytes(data)

    title = _title_block(header)
    document_info = {"title": title["title"], "subtitle": title["subtitle"],
                     "author": title["authors"], "date": title["date"], "lang": header.get("lang"),
                     "toc-title": header.get("toc-title")}
    metadata = {**_PANDOC_DEFAULTS, **_format_options(header, "typst"),
                **{key: value for key, value in document_info.items() if value}}
    (work / "layout.typ").write_text(_TYPST_TEMPLATE, encoding="utf-8")
    yaml_block = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=True)
    document = f"---\n{yaml_block}---\n\n{markdown}"
    source = pypandoc.convert_text(
        # Without citeproc an @reference (citation or Quarto cross-reference) would become a
        # typst reference to a missing label and abort the compile: keep it as text.
        document, to="typst", format="markdown-citations", cworkdir=str(work),
        # --extract-media copies the images (cell outputs, and files the Markdown text refers
        # to, relative to the document) under the typst root and rewrites their paths.
        extra_args=["--standalone", "--variable=template=layout.typ", "--extract-media=media",
                    f"--resource-path={work}{os.pathsep}{source_dir}"],
    )
    (work / "report.typ").write_text(source, encoding="utf-8")
    try:
        # Only typst's embedded fonts (Libertinus Serif, DejaVu Sans Mono, New Computer Modern):
        # the PDF must not depend on the fonts a machine happens to have.
        pdf, warnings = typst.compile_with_warnings(str(work / "report.typ"), root=str(work),
                                                    ignore_system_fonts=True)
    except typst.TypstError as exc:
        raise RenderError(f"typst could not compile the PDF: {exc}") from exc
    for warning in warnings:
        _log.warning("typst: %s", warning)
    return pdf
