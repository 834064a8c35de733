"""Keeping direct identifiers out of messages and logs.

An error about a raw export names the file, the row and the column, so that its holder can find the
cell; it never needs the cell's content when that content is (or could be) an identifier. Messages
show such a value masked: ``j***@e***.invalid`` for an e-mail address, ``B*** (14 characters)``
otherwise. Any value is masked that equals a value of an identifier column of the export, looks like
an e-mail address, or holds nine or more digits in a row (dots and spaces aside) (a Belgian enterprise number has ten): a company name
shifted into a numeric column by a stray delimiter is masked as well as one in its own column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# an enterprise number however written: BE 0613.669.015, 0613 669 015, 613669015
MANY_DIGITS = re.compile(r"\d{9,}")


def mask(value) -> str:
    """A value with all but its first (and, for short ones, no further) characters hidden."""
    text = str(value)
    if "@" in text:
        local, _, domain = text.strip().rpartition("@")
        head, _, tld = domain.rpartition(".")
        domain = f"{head[:1]}***.{tld}" if head else f"{tld[:1]}***"
        return f"{local[:1]}***@{domain}"
    if len(text) <= 2:
        return "***"
    return f"{text[:1]}*** ({len(text)} characters)"


def looks_like_identifier(text: str) -> bool:
    return "@" in text or bool(MANY_DIGITS.search(re.sub(r"[.\s]", "", text)))


class Redactor:
    """Shows cell values in messages, masked when they are or could be identifiers."""

    def __init__(self, identifiers: Iterable = ()) -> None:
        self.identifiers = {str(v).strip() for v in identifiers if v is not None and str(v).strip()}

    def shown(self, value) -> str:
        """The value as a message quotes it: ``'veel'``, or masked."""
        text = str(value)
        if text.strip() in self.identifiers or looks_like_identifier(text):
            return mask(text)
        return repr(text)
