"""The subject and body of a message, per kind and language, from `templates.toml`.

A language the file has no text for falls back to English; a placeholder a message has no
value for stays empty (a template is text for a person, never a reason to fail a run).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Mapping, NamedTuple

TEMPLATES = Path(__file__).with_name("templates.toml")
#: The kinds of message and the languages the built-in texts are written in.
KINDS = ("invoice", "credit_note", "reminder", "statement")
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"


class Text(NamedTuple):
    subject: str
    body: str


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@functools.cache
def templates(path: Path = TEMPLATES) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def language_of(value: object) -> str:
    """A customer's language code as the templates know it (blank or unknown: English).

    >>> language_of("DE"), language_of(None), language_of("fr")
    ('de', 'en', 'en')
    """
    code = str(value or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def render(kind: str, language: str, values: Mapping[str, object], path: Path = TEMPLATES) -> Text:
    """The subject (one line) and body of a message of this kind in this language.

    >>> render("invoice", "de", {"number": "INV-1", "company": "ACME", "date": "2026-03-01"}).subject
    'Rechnung INV-1 von ACME'
    """
    by_language = templates(path)[kind]
    text = by_language.get(language_of(language)) or by_language[DEFAULT_LANGUAGE]
    filled = _Blank({k: "" if v is None else str(v) for k, v in values.items()})
    subject = " ".join(text["subject"].format_map(filled).split())
    return Text(subject, text["body"].format_map(filled))
