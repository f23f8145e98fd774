"""The invoice's look: `invoice_style.toml` beside this module, overlaid by a user's TOML file.

A user's file changes only the keys it names (`[colours] accent = "#006400"`); an unknown
section or key is refused with its name, so a typo does not pass silently.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_STYLE = Path(__file__).with_name("invoice_style.toml")


class StyleError(ValueError):
    """A style file that cannot be used (the message names the file and the key)."""


@dataclass(frozen=True)
class Style:
    page: dict[str, float]
    fonts: dict[str, str]
    sizes: dict[str, float]
    colours: dict[str, tuple[int, int, int]]
    logo: dict[str, float]
    qr: dict[str, float]
    texts: dict[str, str]


def _colour(value: str, where: str) -> tuple[int, int, int]:
    text = value.lstrip("#")
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise StyleError(f"{where}: {value!r} is not a colour #RRGGBB")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def load_style(path: str | Path | None = None) -> Style:
    """The default style, with the keys of the TOML file at `path` (if any) put over it."""
    with DEFAULT_STYLE.open("rb") as handle:
        data: dict[str, dict[str, Any]] = tomllib.load(handle)
    if path is not None:
        path = Path(path)
        try:
            with path.open("rb") as handle:
                user = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise StyleError(f"{path}: {exc}") from exc
        for section, values in user.items():
            if section not in data or not isinstance(values, dict):
                raise StyleError(f"{path}: unknown section [{section}]")
            for key, value in values.items():
                if key not in data[section]:
                    raise StyleError(f"{path}: unknown key {section}.{key}")
                if type(value) is not type(data[section][key]) and not (
                        isinstance(value, (int, float)) and isinstance(data[section][key], (int, float))):
                    raise StyleError(f"{path}: {section}.{key} must be like {data[section][key]!r}")
                data[section][key] = value
        if path.parent != DEFAULT_STYLE.parent:  # a user's own font files are found beside the style
            for key, value in data["fonts"].items():
                if (path.parent / value).is_file():
                    data["fonts"][key] = str(path.parent / value)
    where = str(path or DEFAULT_STYLE)
    return Style(
        page={k: float(v) for k, v in data["page"].items()},
        fonts=dict(data["fonts"]),
        sizes={k: float(v) for k, v in data["sizes"].items()},
        colours={k: _colour(v, f"{where}: colours.{k}") for k, v in data["colours"].items()},
        logo={k: float(v) for k, v in data["logo"].items()},
        qr={k: float(v) for k, v in data["qr"].items()},
        texts=dict(data["texts"]),
    )


def font_file(name: str) -> Path:
    """A font of the style: a path to a TrueType file, or a file name of the Source Sans Pro
    family shipped by the `font-source-sans-pro` package (SIL Open Font License 1.1, which
    allows embedding)."""
    path = Path(name)
    if path.is_absolute() or path.parent != Path("."):
        if not path.is_file():
            raise StyleError(f"font {name}: no such file")
        return path
    from importlib.resources import files

    shipped = Path(str(files("font_source_sans_pro") / "files" / name))
    if not shipped.is_file():
        raise StyleError(f"font {name}: not one of the font-source-sans-pro package's files")
    return shipped
