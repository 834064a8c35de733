"""Synthetic direct identifiers for the reconstructed export: they look real and mean nothing.

Company numbers follow the Belgian enterprise-number format (10 digits, the last two a mod-97 check),
e-mail addresses use the reserved top-level domain .invalid (RFC 2606), names are drawn from word
lists. None of them belongs to a real firm.
"""

from __future__ import annotations

import numpy as np

SURNAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet",
    "Dubois", "Lambert", "Dupont", "Martens", "Hermans", "Van den Broeck", "Vermeulen", "Pauwels", "Aerts",
    "Michiels", "Desmet", "Van Damme", "Verhoeven", "Smets", "Stevens", "Coppens", "De Backer", "Declercq",
    "Vandenberghe", "Verstraete", "Lemmens", "Cools", "Segers", "Leclercq", "Hendrickx", "Van Acker",
    "De Wilde", "Bogaert", "Verbeke", "Claeys", "Vanhove", "Gielen", "Bosmans", "De Vos", "Roels",
]
FIRST_NAMES = [
    "an", "bart", "katrien", "pieter", "sofie", "tom", "els", "jan", "lies", "koen", "nathalie", "wim",
    "hilde", "joris", "eva", "dirk", "ine", "stijn", "griet", "bram", "lotte", "filip", "sarah", "geert",
]
SECTOR_WORDS = {
    "10-33": ["Metaalbouw", "Kunststoffen", "Voeding", "Machinebouw", "Textiel", "Drukkerij", "Chemie"],
    "35-39": ["Energie", "Watertechniek", "Recyclage", "Afvalbeheer"],
    "41-43": ["Bouw", "Dakwerken", "Renovatie", "Elektrotechniek", "Grondwerken"],
    "45-47": ["Handel", "Distributie", "Garage", "Groothandel", "Winkels"],
    "49-53": ["Transport", "Logistiek", "Koeriers", "Expeditie"],
    "55-56": ["Hotel", "Brasserie", "Catering", "Horeca"],
    "58-63": ["Software", "Media", "ICT", "Data", "Telecom"],
    "68-75": ["Advies", "Vastgoed", "Ingenieurs", "Architecten", "Accountants"],
    "77-82": ["Services", "Verhuur", "Facility", "Interim", "Schoonmaak", "Computerherstel"],
}
LEGAL_FORMS = ["BV", "NV", "CommV", "CV"]
OUT_OF_SCOPE = ["Landbouw", "Bank", "Verzekeringen", "School", "Zorg", "Kinderopvang", "Sportclub"]


def enterprise_numbers(rng: np.random.Generator, count: int, taken: set[str] | None = None) -> list[str]:
    """Distinct valid-looking Belgian enterprise numbers, formatted 'BE0123.456.789'."""
    taken = set(taken or ())
    out: list[str] = []
    while len(out) < count:
        body = int(rng.integers(2_000_000, 9_999_999))  # 0 + 7 digits: first eight digits of the number
        check = 97 - (body % 97)
        digits = f"0{body:07d}{check:02d}"
        number = f"BE{digits[:4]}.{digits[4:7]}.{digits[7:]}"
        if number not in taken:
            taken.add(number)
            out.append(number)
    return out


def company_names(rng: np.random.Generator, sectors: list[str | None]) -> list[str]:
    names = []
    for sector in sectors:
        words = SECTOR_WORDS.get(sector or "", OUT_OF_SCOPE)
        surname = SURNAMES[int(rng.integers(len(SURNAMES)))]
        names.append(f"{surname} {words[int(rng.integers(len(words)))]} {LEGAL_FORMS[int(rng.integers(len(LEGAL_FORMS)))]}")
    return names


def email_addresses(rng: np.random.Generator, names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = name.split(" ")[0].lower().replace(" ", "")
        slug = "-".join(name.lower().split(" ")[:-1]).replace(" ", "-")
        out.append(f"{first}.{last}{i % 97}@{slug}.example.invalid")
    return out


def response_ids(rng: np.random.Generator, count: int) -> list[str]:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    seen: set[str] = set()
    out = []
    while len(out) < count:
        rid = "R_" + "".join(alphabet[rng.integers(0, len(alphabet), 15)])
        if rid not in seen:
            seen.add(rid)
            out.append(rid)
    return out
