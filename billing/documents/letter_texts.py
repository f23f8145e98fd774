"""The words of the letters: `letter_texts.toml` beside this module, overlaid by a user's TOML file.

The built-in file holds, per language (`en`, `de`), the `labels` of a letter's parts and the
`subject`, `opening` and `closing` of each letter (`reminder_1` … `reminder_3`, `statement`).
A user's file changes only the keys it names; the same rule as the invoice style
(`billing.documents.style`): an unknown language, section or key, a value that is not text, or
a `{placeholder}` the key does not offer is refused (`LetterTextsError`, naming the file and the
key), so a typo does not pass silently.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TEXTS = Path(__file__).with_name("letter_texts.toml")
#: the placeholders a letter's subject, opening and closing may use
LETTER_FIELDS = frozenset({"customer", "customer_id", "company", "as_of", "total", "level", "start", "end"})
LETTERS = ("reminder_1", "reminder_2", "reminder_3", "statement")


class LetterTextsError(ValueError):
    """A texts file that cannot be used (the message names the file and the key)."""


@dataclass(frozen=True)
class LetterTexts:
    """Every language's texts: `texts["de"]["reminder_2"]["subject"]`; `source`: the user's file, if any."""

    texts: dict[str, dict[str, dict[str, str]]]
    source: str = ""

    def labels(self, language: str) -> dict[str, str]:
        return self._language(language)["labels"]

    def letter(self, language: str, name: str) -> dict[str, str]:
        """The subject, opening and closing of a letter (`reminder_1`…, `statement`)."""
        return self._language(language)[name]

    def reminder(self, language: str, level: int) -> dict[str, str]:
        """The texts of a reminder level: levels above the last one written use the last one's."""
        if level < 1:
            raise ValueError(f"a reminder level is 1 or more, not {level}")
        return self.letter(language, f"reminder_{min(level, 3)}")

    def _language(self, language: str) -> dict[str, dict[str, str]]:
        try:
            return self.texts[language]
        except KeyError:
            raise LetterTextsError(f"{self.source or DEFAULT_TEXTS.name}: no texts in language {language!r} "
                                   f"({', '.join(sorted(self.texts))})") from None


def _fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def load_letter_texts(path: str | Path | None = None) -> LetterTexts:
    """The built-in texts, with the keys of the TOML file at `path` (if any) put over them."""
    with DEFAULT_TEXTS.open("rb") as handle:
        data: dict[str, dict[str, dict[str, Any]]] = tomllib.load(handle)
    if path is None:
        return LetterTexts(data)
    path = Path(path)
    try:
        with path.open("rb") as handle:
            user = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LetterTextsError(f"{path}: {exc}") from exc
    for language, sections in user.items():
        if language not in data or not isinstance(sections, dict):
            raise LetterTextsError(f"{path}: unknown language [{language}] ({', '.join(sorted(data))})")
        for section, values in sections.items():
            if section not in data[language] or not isinstance(values, dict):
                raise LetterTextsError(f"{path}: unknown section [{language}.{section}]")
            for key, value in values.items():
                where = f"{language}.{section}.{key}"
                if key not in data[language][section]:
                    raise LetterTextsError(f"{path}: unknown key {where}")
                if not isinstance(value, str):
                    raise LetterTextsError(f"{path}: {where} must be text")
                allowed = LETTER_FIELDS if section in LETTERS else _fields(data[language][section][key])
                try:
                    unknown = sorted(_fields(value) - allowed)
                except ValueError as exc:  # an unpaired brace
                    raise LetterTextsError(f"{path}: {where}: {exc}") from None
                if unknown:
                    raise LetterTextsError(f"{path}: {where} has the placeholder {{{unknown[0]}}}; it may use "
                                           + (", ".join(f"{{{f}}}" for f in sorted(allowed)) or "none"))
                data[language][section][key] = value
    return LetterTexts(data, str(path))
