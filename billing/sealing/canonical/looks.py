"""What changes how a cell's value looks, for `xlbilling-canonical/2`: whether a style's text
can be read at all, and conditional-format rules with the formats they apply.

A value can be hidden without touching it: white text on a white fill, a font of one point,
a conditional format that applies the number format `;;;` or a white font. The canonical
form seals these as follows (see `docs/seal-format.md`, section 1.2 and 1.3):

* **Colours** are resolved to `RRGGBB` the way Excel draws them: `rgb` (ARGB, alpha
  ignored), `indexed` (the workbook's `indexedColors`, else the default 64-colour palette;
  64 is the system text colour, black, and 65 the system background, white), `theme` (the
  workbook theme's colour scheme, Excel's order lt1, dk1, lt2, dk2, accent1–6, hlink,
  folHlink; the Office theme when the workbook has none) and `auto` (black for text), each
  with its `tint` applied to the HLS lightness (ECMA-376 Part 1, §18.8.19, `tint`).
* **Readable** (a cell style's flag, `1` or `0`): text is unreadable when its font is smaller
  than 4 points, or when the contrast ratio (WCAG 2) between its font colour and every
  colour of its fill is below 1.5:1. The fill colour is a solid fill's `fgColor`, a pattern
  fill's `bgColor`, every stop of a gradient; no fill is white (the window).
* **Conditional formats**: one line per rule, `SQREF TAB RULE`, where RULE is the rule
  element written out canonically (see `element_text`), then `;` and the differential
  format its `dxfId` names, written out the same way (`dxf[numFmt(formatCode=;;;)]`;
  `dxf:N` for an index the styles do not have), colours resolved; rules are ordered by
  priority (the numbers themselves left out: Excel renumbers them keeping their order).
"""

from __future__ import annotations

import colorsys
import re
from typing import NamedTuple

from billing.sealing.canonical.cells import escape
from billing.workbook.package import Package, local

#: the default palette of `indexed` colours (BIFF8; 0–7 repeat 8–15)
PALETTE = (
    "000000", "FFFFFF", "FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF", "00FFFF",
    "000000", "FFFFFF", "FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF", "00FFFF",
    "800000", "008000", "000080", "808000", "800080", "008080", "C0C0C0", "808080",
    "9999FF", "993366", "FFFFCC", "CCFFFF", "660066", "FF8080", "0066CC", "CCCCFF",
    "000080", "FF00FF", "FFFF00", "00FFFF", "800080", "800000", "008080", "0000FF",
    "00CCFF", "CCFFFF", "CCFFCC", "FFFF99", "99CCFF", "FF99CC", "CC99FF", "FFCC99",
    "3366FF", "33CCCC", "99CC00", "FFCC00", "FF9900", "FF6600", "666699", "969696",
    "003366", "339966", "003300", "333300", "993300", "993366", "333399", "333333",
)
SYSTEM = {64: "000000", 65: "FFFFFF"}  # system foreground (text) and background (window)
#: the Office theme's colours in Excel's `theme` index order (lt1, dk1, lt2, dk2, accents, links)
OFFICE_THEME = ("FFFFFF", "000000", "E7E6E6", "44546A", "4472C4", "ED7D31", "A5A5A5", "FFC000",
                "5B9BD5", "70AD47", "0563C1", "954F72")
_SCHEME_ORDER = ("lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6",
                 "hlink", "folHlink")
_SYSTEM_COLOURS = {"windowText": "000000", "window": "FFFFFF"}
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}")
WHITE = "FFFFFF"
BLACK = "000000"
MIN_CONTRAST = 1.5
MIN_FONT_POINTS = 4.0
_COLOUR_ATTRIBUTES = ("rgb", "indexed", "theme", "auto")
_NUMBERING = ("priority", "dxfId", "id", "numFmtId")


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two `RRGGBB` colours (1 to 21).

    >>> round(contrast("FFFFFF", "000000"), 1), contrast("FFFFFF", "FFFFFF")
    (21.0, 1.0)
    """
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _luminance(colour: str) -> float:
    def channel(text: str) -> float:
        c = int(text, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour[0:2]) + 0.7152 * channel(colour[2:4]) + 0.0722 * channel(colour[4:6])


def tinted(colour: str, tint: float) -> str:
    """A colour with Excel's tint applied to its HLS lightness (tint in -1..1).

    >>> tinted("000000", 0.5), tinted("FFFFFF", -0.5)
    ('808080', '808080')
    """
    if not tint:
        return colour
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    light = light * (1 + tint) if tint < 0 else light * (1 - tint) + tint
    r, g, b = colorsys.hls_to_rgb(hue, min(1.0, max(0.0, light)), sat)
    return "".join(f"{round(c * 255):02X}" for c in (r, g, b))


class Looks:
    """A workbook's colours, fonts, fills and differential formats, read from its styles and theme."""

    def __init__(self, pkg: Package, workbook_part: str, styles_root=None):
        self.palette = list(PALETTE)
        self.theme = list(OFFICE_THEME)
        self.fonts: list = []
        self.fills: list = []
        self.dxfs: list[str] = []
        theme_part = pkg.related(workbook_part, "theme")
        if theme_part is not None:
            self._read_theme(pkg.xml(theme_part))
        if styles_root is not None:
            self._read_styles(styles_root)

    def _read_theme(self, root) -> None:
        scheme = next((e for e in root.iter() if local(e.tag) == "clrScheme"), None)
        if scheme is None:
            return
        found = {}
        for child in scheme:
            for spec in child:
                value = None
                if local(spec.tag) == "srgbClr":
                    value = spec.get("val")
                elif local(spec.tag) == "sysClr":
                    value = spec.get("lastClr") or _SYSTEM_COLOURS.get(spec.get("val", ""))
                if value and _HEX6.fullmatch(value):
                    found[local(child.tag)] = value.upper()
        self.theme = [found.get(name, default) for name, default in zip(_SCHEME_ORDER, OFFICE_THEME)]

    def _read_styles(self, root) -> None:
        for child in root:
            name = local(child.tag)
            if name == "fonts":
                self.fonts = [f for f in child if local(f.tag) == "font"]
            elif name == "fills":
                self.fills = [f for f in child if local(f.tag) == "fill"]
            elif name == "colors":
                for group in child:
                    if local(group.tag) == "indexedColors":
                        custom = [c.get("rgb", "") for c in group if local(c.tag) == "rgbColor"]
                        for index, rgb in enumerate(custom[:len(self.palette)]):
                            if _HEX6.fullmatch(rgb[-6:]):
                                self.palette[index] = rgb[-6:].upper()
        for child in root:  # after the palette: a dxf's colours may be indexed
            if local(child.tag) == "dxfs":
                self.dxfs = [element_text(d, self) for d in child if local(d.tag) == "dxf"]

    def colour(self, element, default: str = BLACK) -> str:
        """An element's colour (`rgb`, `indexed`, `theme`, `auto`, with `tint`) as `RRGGBB`;
        a colour that cannot be resolved is written as it is (`theme:99`), never guessed."""
        if element is None:
            return default
        base = None
        rgb, indexed, theme = element.get("rgb"), element.get("indexed"), element.get("theme")
        if rgb is not None:
            base = rgb[-6:].upper() if _HEX6.fullmatch(rgb[-6:]) else f"rgb:{escape(rgb)}"
        elif indexed is not None:
            number = int(indexed) if indexed.isdigit() else -1
            base = self.palette[number] if 0 <= number < len(self.palette) else SYSTEM.get(
                number, f"indexed:{escape(indexed)}")
        elif theme is not None:
            number = int(theme) if theme.isdigit() else -1
            base = self.theme[number] if 0 <= number < len(self.theme) else f"theme:{escape(theme)}"
        elif element.get("auto") in ("1", "true"):
            base = default
        else:
            return default
        try:
            tint = float(element.get("tint") or 0)
        except ValueError:
            return f"{base}~{escape(element.get('tint', ''))}"
        return tinted(base, max(-1.0, min(1.0, tint))) if _HEX6.fullmatch(base) else base

    def readable(self, font_id: int, fill_id: int) -> bool:
        """Whether a cell style's text can be read: big enough, and in contrast with its fill."""
        font = self.fonts[font_id] if 0 <= font_id < len(self.fonts) else None
        size, colour = 11.0, BLACK
        if font is not None:
            for child in font:
                name = local(child.tag)
                if name == "sz":
                    try:
                        size = float(child.get("val", ""))
                    except ValueError:
                        pass
                elif name == "color":
                    colour = self.colour(child)
        if size < MIN_FONT_POINTS:
            return False
        backgrounds = self._backgrounds(self.fills[fill_id] if 0 <= fill_id < len(self.fills) else None)
        if not _HEX6.fullmatch(colour) or not all(_HEX6.fullmatch(b) for b in backgrounds):
            return True  # a colour not resolved: not judged unreadable (its spelling is sealed nowhere else)
        return any(contrast(colour, b) >= MIN_CONTRAST for b in backgrounds)

    def _backgrounds(self, fill) -> list[str]:
        if fill is None:
            return [WHITE]
        for child in fill:
            name = local(child.tag)
            if name == "patternFill":
                pattern = child.get("patternType") or "none"
                colours = {local(c.tag): c for c in child}
                if pattern == "none":
                    return [WHITE]
                if pattern == "solid":
                    return [self.colour(colours.get("fgColor"), BLACK)]
                return [self.colour(colours.get("bgColor"), WHITE)]
            if name == "gradientFill":
                stops = [self.colour(next((c for c in stop if local(c.tag) == "color"), None), WHITE)
                         for stop in child if local(stop.tag) == "stop"]
                return stops or [WHITE]
        return [WHITE]


def element_text(element, looks: Looks) -> str:
    """An element written out canonically: `name(attr=value,...)[child;child]` or
    `name(attr=value,...)=text`, attributes sorted by local name, namespaces and comments left
    out; a colour element (one with `rgb`, `indexed`, `theme` or `auto`) as `name=RRGGBB`;
    `priority`, `dxfId`, `id`, `numFmtId` and `extLst` (numbering Excel may redo on saving, and
    bookkeeping) left out; escaped."""
    name = local(element.tag)
    children = [c for c in element if isinstance(c.tag, str) and local(c.tag) != "extLst"]
    if not children and any(element.get(a) is not None for a in _COLOUR_ATTRIBUTES):
        return f"{name}={looks.colour(element)}"
    attributes = sorted((local(k), v) for k, v in element.attrib.items() if local(k) not in _NUMBERING)
    head = name + ("(" + ",".join(f"{k}={escape(v)}" for k, v in attributes) + ")" if attributes else "")
    if children:
        return head + "[" + ";".join(element_text(c, looks) for c in children) + "]"
    text = (element.text or "").strip()
    return head + (f"={escape(text)}" if text else "")


class Rule(NamedTuple):
    """One conditional-format rule as the canonical form has it."""

    priority: float
    sqref: str
    text: str

    def line(self) -> str:
        """`SQREF TAB RULE`."""
        return f"{self.sqref}\t{self.text}"


def sqref_text(text: str) -> str:
    """Ranges as written, upper case, `$` removed, sorted, space-separated.

    >>> sqref_text("$B$2:b9  A1")
    'A1 B2:B9'
    """
    return " ".join(sorted(text.replace("$", "").upper().split()))


def conditional_rules(block, looks: Looks) -> list[Rule]:
    """The rules of a `conditionalFormatting` element (main or x14 extension namespace)."""
    sqref = block.get("sqref")
    if sqref is None:
        sqref = " ".join((c.text or "") for c in block if local(c.tag) == "sqref")
    rules = []
    for rule in block:
        if local(rule.tag) != "cfRule":
            continue
        text = element_text(rule, looks)
        dxf = rule.get("dxfId")
        if dxf is not None:
            index = int(dxf) if dxf.isdigit() else -1
            text += ";" + (looks.dxfs[index] if 0 <= index < len(looks.dxfs) else f"dxf:{escape(dxf)}")
        try:
            priority = float(rule.get("priority") or "inf")
        except ValueError:
            priority = float("inf")
        rules.append(Rule(priority, sqref_text(sqref), text))
    return rules
