"""From the raw export to usable respondents, with every excluded record accounted for.

Exclusion rules of the 2021 report (section 2.3), applied in this order, the first that applies
giving the reason:
  (a) fewer employees than the smallest size class (5),
  (b) a main activity (NACE) outside the surveyed sector groups,
  (c) no AI question answered at all,
  (d) a second response for the same company (the most complete one is kept).
Direct identifiers (company number, name, e-mail, the survey tool's response id) are replaced by
keyed pseudonyms; exact employee counts and NACE codes, which identify large firms, stay behind too:
an excluded record keeps its reason, its frame stratum and the size class its answer gives, and its
evidence names the rule, not the value.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pandas as pd

from .codebook import Codebook
from .errors import BarometerError
from .strata import Strata, stratum_id

REASONS = {
    "a": "fewer than the minimum number of employees",
    "b": "main activity outside the surveyed sectors",
    "c": "no AI question answered",
    "d": "second response for the same company",
}


def pseudonym(values: pd.Series, salt: str, prefix: str) -> pd.Series:
    """HMAC-SHA256 of each value under the secret salt; without the salt it cannot be reversed or
    recomputed from a list of company numbers."""
    key = salt.encode()

    def one(value) -> str | None:
        if pd.isna(value):
            return None
        text = normalise_company_number(value) if prefix == "F" else str(value)
        return prefix + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]

    return values.map(one)


def normalise_company_number(value: str) -> str:
    """BE 0123.456.789, BE0123456789 and 123.456.789 are the same enterprise number."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return digits.zfill(10)


@dataclass
class CleaningResult:
    respondents: pd.DataFrame
    exclusions: pd.DataFrame
    accounting: pd.DataFrame


def clean(raw: pd.DataFrame, codebook: Codebook, strata: Strata, *, salt: str,
          stratum_from: str = "reported", duplicate_keep: str = "most_complete") -> CleaningResult:
    """Apply the exclusion rules and pseudonymise. ``raw`` is the validated export (index = line)."""
    ids = codebook.identifier_columns
    meta = codebook.metadata_columns
    screening = codebook.screening_columns
    item_columns = list(codebook.items["column"])

    line = pd.Series(raw.index, index=raw.index)
    respondent = pseudonym(raw[ids["response_id"]], salt, "R")
    firm = pseudonym(raw[ids["company_number"]], salt, "F")
    answered = raw[item_columns].notna().sum(axis=1)

    frame_sector = raw[meta["frame_stratum"]].str.rsplit("_", n=1).str[0]
    frame_size = raw[meta["frame_stratum"]].str.rsplit("_", n=1).str[1]
    employees = raw[screening["employees"]]
    reported_size = strata.size_of_employees(employees)
    reported_sector = strata.sector_of_nace(raw[screening["nace"]])

    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    evidence = pd.Series("", index=raw.index, dtype=object)

    rule_a = employees < strata.min_employees
    reason[rule_a] = "a"
    evidence[rule_a] = f"reported fewer than {strata.min_employees:g} employees"

    has_nace = raw[screening["nace"]].notna()
    rule_b = reason.isna() & has_nace & reported_sector.isna()
    reason[rule_b] = "b"
    evidence[rule_b] = "reported a NACE code in none of the sector groups"

    rule_c = reason.isna() & (answered == 0)
    reason[rule_c] = "c"
    evidence[rule_c] = f"none of the {len(item_columns)} AI items answered"

    candidates = reason.isna() & firm.notna()
    order = pd.DataFrame({"firm": firm[candidates], "answered": answered[candidates], "line": line[candidates]})
    if duplicate_keep == "most_complete":
        order = order.sort_values(["firm", "answered", "line"], ascending=[True, False, True], kind="stable")
    else:
        order = order.sort_values(["firm", "line"], kind="stable")
    kept_line = order.groupby("firm")["line"].first()
    duplicates = order[order["line"] != order["firm"].map(kept_line)]
    reason[duplicates.index] = "d"
    evidence[duplicates.index] = [
        f"second response for firm {f}; kept line {kept_line[f]} ({int(answered[kept_line[f]])} answers vs {a})"
        for f, a in zip(duplicates["firm"], duplicates["answered"])
    ]

    usable = reason.isna()
    sector = reported_sector.where(has_nace, frame_sector) if stratum_from == "reported" else frame_sector
    size = reported_size.where(employees.notna(), frame_size) if stratum_from == "reported" else frame_size

    answers = raw.loc[usable, item_columns].copy()
    answers.columns = list(codebook.items["item"])
    respondents = pd.DataFrame(
        {
            "respondent": respondent[usable],
            "firm": firm[usable],
            "raw_line": line[usable],
            "stratum": [stratum_id(s, z) for s, z in zip(sector[usable], size[usable])],
            "sector": sector[usable],
            "size": size[usable],
            "frame_stratum": raw.loc[usable, meta["frame_stratum"]],
        }
    ).join(answers)
    respondents = respondents.reset_index(drop=True)

    # the size class the answer gives, never the count itself
    size_class = reported_size.astype(object).where(~rule_a, f"under_{strata.min_employees:g}").fillna("")
    exclusions = pd.DataFrame(
        {
            "raw_line": line[~usable],
            "respondent": respondent[~usable],
            "firm": firm[~usable],
            "frame_stratum": raw.loc[~usable, meta["frame_stratum"]],
            "size_class": size_class[~usable],
            "reason": reason[~usable],
            "reason_label": reason[~usable].map(REASONS),
            "evidence": evidence[~usable],
        }
    ).reset_index(drop=True)

    if len(respondents) + len(exclusions) != len(raw):
        raise BarometerError(
            f"record accounting failed: {len(raw)} raw responses but {len(respondents)} usable + "
            f"{len(exclusions)} excluded"
        )
    accounting = _accounting(raw, respondents, exclusions)
    return CleaningResult(respondents=respondents, exclusions=exclusions, accounting=accounting)


def _accounting(raw: pd.DataFrame, respondents: pd.DataFrame, exclusions: pd.DataFrame) -> pd.DataFrame:
    rows = [("raw responses", "", len(raw))]
    for code, label in REASONS.items():
        rows.append((f"excluded ({code})", label, int((exclusions["reason"] == code).sum())))
    rows.append(("excluded (all)", "", len(exclusions)))
    rows.append(("usable responses", "", len(respondents)))
    mismatch = int((respondents["stratum"] != respondents["frame_stratum"]).sum())
    rows.append(("usable, stratum differs from frame", "weighted in the stratum their answers give", mismatch))
    return pd.DataFrame(rows, columns=["count", "detail", "records"])


def origin_table(bundled: bool) -> pd.DataFrame:
    """clean/origin.csv: where the cleaned records come from, in a file of its own (one row), so that
    the record accounting holds counts only."""
    return pd.DataFrame([{"microdata": "bundled reconstruction" if bundled else "supplied microdata",
                          "bundled_reconstruction": bool(bundled)}])


def bundled(origin: pd.DataFrame) -> bool:
    """Whether the cleaned records are the bundled reconstruction (clean/origin.csv)."""
    return str(origin["bundled_reconstruction"].iloc[0]).strip().lower() == "true"


def usable_counts(respondents: pd.DataFrame, strata: Strata) -> pd.Series:
    counts = respondents["stratum"].value_counts()
    return counts.reindex(strata.ids, fill_value=0).astype(int)
