"""`xlbilling addin build`: the Billing add-in (`addin/xlbilling.xlam`), made on any OS.

The starting point is xlwings' BSD-licensed add-in template (`quickstart_addin_ribbon.xlam`
in the installed xlwings package: its VBA has RunPython and a ribbon callback). Three
things change, everything else is copied as it is:

1. the ribbon (`customUI/customUI.xml`) is generated from `macros.buttons`;
2. the template's callback `RibbonMyAddin.RunMain` is rewritten to pass the pressed
   button's id to Python: `RunPython "import macros; macros.run_button('<id>')"`;
3. xlwings' VBA module gets the project name `xlbilling`, so its settings are read from
   `~/.xlbilling/xlbilling.conf` (written by `xlbilling addin install`).

The VBA project is a compound file: its streams are read with olefile, the two changed
module sources written with `addin.vba` and the file laid out anew with `addin.cfb`.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import olefile

from addin.cfb import write_cfb
from billing.atomic import write_atomically
from addin.ribbon import custom_ui
from addin.vba import decompress, module_source, module_stream

OUT = Path(__file__).resolve().parent / "xlbilling.xlam"
PROJECT = "xlbilling"
CALLBACK_SOURCE = (
    "Sub RunMain(control As IRibbonControl)\r\n"
    "    ' every Billing button lands here: Python is told which one (macros.run_button)\r\n"
    "    RunPython \"import macros; macros.run_button('\" & control.Id & \"')\"\r\n"
    "End Sub\r\n"
)
_RUN_MAIN = re.compile(r"Sub RunMain\(control As IRibbonControl\)\r\n.*?End Sub\r\n", re.S)
_PROJECT_NAME = re.compile(r'(Public Const PROJECT_NAME As String = )"[^"]*"')


def template_path() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"


def module_offsets(dir_stream: bytes) -> dict[str, int]:
    """Module stream name → where its source starts (MS-OVBA 2.3.4.2, the `dir` stream)."""
    offsets, name, at = {}, None, 0
    while at + 6 <= len(dir_stream):
        record, size = struct.unpack_from("<HI", dir_stream, at)
        if record == 0x0009:  # PROJECTVERSION: its size field says 4, it holds 6 bytes
            size = 6
        data = dir_stream[at + 6:at + 6 + size]
        if record == 0x001A:  # MODULESTREAMNAME
            name = data.decode("cp1252")
        elif record == 0x0031 and name is not None:  # MODULEOFFSET
            offsets[name] = struct.unpack("<I", data)[0]
        at += 6 + size
    return offsets


def vba_project(template: bytes) -> bytes:
    """The template's VBA project with the Billing callback and project name."""
    ole = olefile.OleFileIO(io.BytesIO(template))
    try:
        streams = {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}
    finally:
        ole.close()
    offsets = module_offsets(decompress(streams["VBA/dir"]))
    for module, change in (("RibbonMyAddin", lambda s: _RUN_MAIN.subn(CALLBACK_SOURCE, s)),
                           ("xlwings", lambda s: _PROJECT_NAME.subn(rf'\1"{PROJECT}"', s))):
        stream = streams[f"VBA/{module}"]
        source, count = change(module_source(stream, offsets[module]))
        if count != 1:
            raise RuntimeError(f"the xlwings template's {module} module is not the one this build knows")
        streams[f"VBA/{module}"] = module_stream(stream, offsets[module], source)
    return write_cfb(streams)


def build(out: Path = OUT, template: Path | None = None) -> Path:
    """Write the add-in to `out` (atomically); returns its path."""
    source = template or template_path()
    with zipfile.ZipFile(source) as zin:
        parts = {info.filename: zin.read(info) for info in zin.infolist()}
    parts["customUI/customUI.xml"] = custom_ui().encode("utf-8")
    parts["xl/vbaProject.bin"] = vba_project(parts["xl/vbaProject.bin"])
    # the template's settings sheet stays inactive (its name starts with _): settings come
    # from the user's config file, so one add-in file serves every machine
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="_myaddin.conf"', b'name="_xlbilling.conf"')
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for name, data in parts.items():
                zout.writestr(name, data)

    return write_atomically(out, write)
