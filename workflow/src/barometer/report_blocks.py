"""What the report displays, written once and shown in both output formats: text tables, figures and
raw blocks, each with an HTML form (the HTML report) and a Markdown form that carries raw Typst (the
PDF); and numbers as each language writes them.

Why display objects instead of Markdown pipe tables: a pipe table cannot hold a line break in a
cell, breaks on an unescaped ``|`` in its text and lets the PDF wrap an interval anywhere. A
``Table`` writes an HTML ``<table>`` (searchable, copyable, with a ``<caption>``) and a Typst
``table`` (the same text, intervals kept on one line, header repeated on every page), from the same
cells. A ``Figure`` shows the PNG in HTML, with the caption as alt text, and the SVG in the PDF, so
that the PDF's figures are vectors. Under Quarto the Markdown form is used for both formats; its raw
``{=html}`` and ``{=typst}`` blocks are each kept by the matching format only.

Numbers are formatted here by hand rather than with a locale library: two fixed conventions (English:
1,717 and 23.2; Dutch: 1.717 and 23,2), a true minus sign in both, and no dependency on the locales a
machine has installed.
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("en", "nl")
MINUS = "\u2212"
DASH = "\u2013"
MISSING = DASH


# ---------------------------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------------------------
def finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def number(value, language: str, decimals: int = 1, *, sign: bool = False) -> str:
    """``value`` with ``decimals`` decimals as ``language`` writes it: thousands grouped (1,717 or
    1.717), decimal point or comma, a true minus sign; ``sign``: '+' before positive numbers."""
    if not finite(value):
        return MISSING
    value = float(value)
    if value == 0:
        value = 0.0  # no '-0.0'
    text = f"{abs(value):,.{decimals}f}"
    if round(abs(value), decimals) == 0:
        value = 0.0
    if language == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    elif language != "en":
        raise ValueError(f"unknown report language '{language}' (known: {', '.join(LANGUAGES)})")
    prefix = MINUS if value < 0 else ("+" if sign and value > 0 else "")
    return prefix + text


def count(value, language: str) -> str:
    """A whole number (1,717 / 1.717)."""
    return number(value, language, 0)


def percent(value, language: str, decimals: int = 1) -> str:
    return MISSING if not finite(value) else number(value, language, decimals) + "%"


def interval(low, high, language: str, decimals: int = 1) -> str:
    """'20.8–25.7'; with a negative bound 'to'/'tot' instead of the dash (−14.6 to −4.2)."""
    if not (finite(low) and finite(high)):
        return ""
    a, b = number(low, language, decimals), number(high, language, decimals)
    if float(low) < 0 or float(high) < 0:
        return f"{a} {'tot' if language == 'nl' else 'to'} {b}"
    return f"{a}{DASH}{b}"


def fraction(value, language: str, decimals: int = 3) -> str:
    return number(value, language, decimals)


# ---------------------------------------------------------------------------------------------
# cells and tables
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One table cell: lines shown one under the other; ``nowrap`` keeps each line unbroken (an
    estimate with its interval); ``italic`` for cells to read with care."""

    lines: tuple[str, ...]
    nowrap: bool = False
    italic: bool = False
    bold: bool = False

    @classmethod
    def of(cls, value) -> Cell:
        if isinstance(value, Cell):
            return value
        return cls(("" if value is None else str(value),))

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def cell(*lines: str, nowrap: bool = False, italic: bool = False, bold: bool = False) -> Cell:
    return Cell(tuple(str(x) for x in lines), nowrap=nowrap, italic=italic, bold=bold)


@dataclass(frozen=True)
class Group:
    """A row that heads a group of rows, spanning every column."""

    label: str


@dataclass
class Table:
    """A text table for both formats.

    ``align``: one of 'l', 'r', 'c' per column (default: left for the first, right for the rest);
    ``widths``: relative column widths in the PDF (default: equal); ``size``: font size in the PDF
    (pt); ``split``: at most this many columns after the first in one PDF table (wider tables are
    continued below, the first column repeated)."""

    columns: list[str]
    rows: list[list | Group]
    caption: str = ""
    notes: str = ""
    align: list[str] | None = None
    widths: list[float] | None = None
    size: float = 8.5
    split: int | None = None
    label: str = ""
    continued: str = "continued"
    _cells: list = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.columns)
        for row in self.rows:
            if not isinstance(row, Group) and len(row) != n:
                raise ValueError(f"a row of table '{self.caption or self.label}' has {len(row)} cells, not {n}: {row}")
        self.align = list(self.align or ["l"] + ["r"] * (n - 1))
        self.widths = list(self.widths or [1.0] * n)
        if len(self.align) != n or len(self.widths) != n:
            raise ValueError(f"table '{self.caption or self.label}': align and widths need {n} entries")
        self._cells = [row if isinstance(row, Group) else [Cell.of(c) for c in row] for row in self.rows]

    # plain text of every cell (tests and the Markdown form for tools without HTML or Typst)
    def text_rows(self) -> list[list[str]]:
        return [[row.label] if isinstance(row, Group) else [c.text for c in row] for row in self._cells]

    def _repr_html_(self) -> str:
        return to_html(self)

    def _repr_markdown_(self) -> str:
        return raw_blocks(html_text=to_html(self), typst_text=to_typst(self))


_ALIGN_HTML = {"l": "left", "r": "right", "c": "center"}
SHORT_TABLE = 15  # rows: a table this short is not broken across pages
_ALIGN_TYPST = {"l": "left", "r": "right", "c": "center"}


def _html_cell(c: Cell, tag: str, align: str) -> str:
    lines = [html.escape(x) for x in c.lines]
    if c.nowrap:
        lines = [f'<span class="nowrap">{x}</span>' for x in lines]
    body = "<br>".join(lines)
    if c.italic:
        body = f"<em>{body}</em>"
    if c.bold:
        body = f"<strong>{body}</strong>"
    return f'<{tag} style="text-align: {_ALIGN_HTML[align]}">{body}</{tag}>'


def to_html(table: Table) -> str:
    n = len(table.columns)
    # wrapped so that a table wider than the page scrolls instead of running off it
    anchor = f' id="{html.escape(table.label, quote=True)}"' if table.label else ""
    out = [f'<div class="table-wrap"><table class="barometer-table"{anchor}>']
    if table.caption:
        out.append(f"<caption>{html.escape(table.caption)}</caption>")
    out.append("<thead><tr>" + "".join(_html_cell(Cell.of(h), "th", a) for h, a in zip(table.columns, table.align))
               + "</tr></thead><tbody>")
    for row in table._cells:
        if isinstance(row, Group):
            out.append(f'<tr class="group"><th colspan="{n}" scope="colgroup">{html.escape(row.label)}</th></tr>')
        else:
            out.append("<tr>" + "".join(_html_cell(c, "td", a) for c, a in zip(row, table.align)) + "</tr>")
    out.append("</tbody></table></div>")
    if table.notes:
        out.append(f'<p class="table-notes">{html.escape(table.notes)}</p>')
    return "\n".join(out)


def typst_string(text: str) -> str:
    """A Typst string literal: only the backslash, the quote and line ends need escaping."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def _typst_cell(c: Cell) -> str:
    parts = [f"box({typst_string(x)})" if c.nowrap else typst_string(x) for x in c.lines]
    body = parts[0] if len(parts) == 1 else "[" + " \\ ".join(f"#{p}" for p in parts) + "]"
    if c.italic:
        body = f"emph({body})"
    if c.bold:
        body = f"strong({body})"
    return body


def _typst_table(table: Table, columns: list[int]) -> str:
    widths = ", ".join(f"{table.widths[k]:g}fr" for k in columns)
    align = ", ".join(_ALIGN_TYPST[table.align[k]] for k in columns)
    header = ", ".join(_typst_cell(Cell.of(table.columns[k])) for k in columns)
    body = []
    for row in table._cells:
        if isinstance(row, Group):
            body.append(f"table.cell(colspan: {len(columns)}, align: left, fill: luma(225), strong({typst_string(row.label)})),")
        else:
            body.append(", ".join(_typst_cell(row[k]) for k in columns) + ",")
    return (f"#table(columns: ({widths},), align: ({align},), inset: (x: 4pt, y: 3pt),\n"
            f"  table.header({header}),\n  " + "\n  ".join(body) + "\n)")


def to_typst(table: Table) -> str:
    """The table as Typst: caption kept with the table, the table (split into column groups when
    wider than ``split``), notes in small print."""
    data = list(range(1, len(table.columns)))
    parts = -(-len(data) // table.split) if table.split and data else 1
    size = -(-len(data) // parts) if data else 1  # balanced: 11 columns at most 6 a table -> 6 + 5
    chunks = [data[i:i + size] for i in range(0, len(data), size)] or [[]]
    out = []
    for k, chunk in enumerate(chunks):
        caption = table.caption if k == 0 else f"{table.caption.split(':')[0]} ({table.continued})"
        if caption:
            out.append(f"#block(sticky: true, above: 1.2em, below: 0.5em, width: 100%)"
                       f"[#set par(justify: false); #text(size: 9.5pt, weight: \"bold\", {typst_string(caption)})]")
        # a short table stays on one page (no orphaned last row); a long one breaks, its header repeated
        breakable = "true" if len(table.rows) > SHORT_TABLE else "false"
        out.append(f"#block(width: 100%, breakable: {breakable})[#set text(size: {table.size:g}pt); #set par(justify: false)\n"
                   + _typst_table(table, [0, *chunk]) + "\n]")
    if table.notes:
        out.append(f"#block(above: 0.4em, below: 1em)[#set par(justify: false); #text(size: 8pt, {typst_string(table.notes)})]")
    return "\n".join(out)


def raw_blocks(*, html_text: str = "", typst_text: str = "") -> str:
    """Markdown with a raw HTML block and a raw Typst block: pandoc keeps each in its own format."""
    parts = []
    if html_text:
        parts.append("```{=html}\n" + html_text + "\n```")
    if typst_text:
        parts.append("```{=typst}\n" + typst_text + "\n```")
    return "\n\n".join(parts) + "\n"


@dataclass
class Raw:
    """Content for one format only (e.g. Typst set rules): nothing in the other."""

    html_text: str = ""
    typst_text: str = ""

    def _repr_html_(self) -> str:
        return self.html_text

    def _repr_markdown_(self) -> str:
        return raw_blocks(html_text=self.html_text, typst_text=self.typst_text)


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#@|~^$])")


def markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


@dataclass
class Figure:
    """A figure: PNG in the HTML (caption as alt text), SVG in the PDF (vector), caption below."""

    png: Path
    svg: Path
    caption: str
    alt: str = ""
    label: str = ""

    def _repr_html_(self) -> str:
        data = base64.b64encode(Path(self.png).read_bytes()).decode("ascii")
        alt = html.escape(self.alt or self.caption, quote=True)
        anchor = f' id="{html.escape(self.label, quote=True)}"' if self.label else ""
        return (f'<figure class="barometer-figure"{anchor}>'
                f'<img src="data:image/png;base64,{data}" alt="{alt}">'
                f"<figcaption>{html.escape(self.caption)}</figcaption></figure>")

    def _repr_markdown_(self) -> str:
        # pandoc turns a captioned image alone in its paragraph into a Typst figure (image and
        # caption kept together) and copies the SVG under the Typst root (--extract-media)
        return f"![{markdown_escape(self.caption)}]({Path(self.svg).resolve().as_posix()}){{width=100%}}\n"
