"""The add-in, built here on Linux and checked as Excel would need it: a valid package, a
customUI valid against the schema (the subset the ribbon uses), one callback for every
button, and a VBA project that oletools reads and whose callback calls Python with the id."""

from __future__ import annotations

import inspect
import re
import zipfile

import olefile
import pytest
from lxml import etree
from oletools.olevba import VBA_Parser

import macros
from addin.build import build, template_path
from addin.ribbon import CALLBACK, NAMESPACE
from macros.buttons import BUTTONS
from test_cli import run

#: the part of Office's customUI schema (2006/01) the ribbon uses, element for element
CUSTOM_UI_XSD = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NAMESPACE}"
    xmlns="{NAMESPACE}" elementFormDefault="qualified">
  <xs:simpleType name="ST_ID"><xs:restriction base="xs:NCName"><xs:maxLength value="1024"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ST_String"><xs:restriction base="xs:string"><xs:minLength value="1"/>
    <xs:maxLength value="1024"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="ST_Size"><xs:restriction base="xs:string"><xs:enumeration value="normal"/>
    <xs:enumeration value="large"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="ST_Delegate"><xs:restriction base="xs:string"><xs:minLength value="1"/>
    <xs:maxLength value="1024"/></xs:restriction></xs:simpleType>
  <xs:element name="customUI"><xs:complexType><xs:sequence>
    <xs:element name="ribbon"><xs:complexType><xs:sequence>
      <xs:element name="tabs"><xs:complexType><xs:sequence>
        <xs:element name="tab" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="group" maxOccurs="unbounded"><xs:complexType><xs:sequence>
            <xs:element name="button" maxOccurs="1000"><xs:complexType>
              <xs:attribute name="id" type="ST_ID" use="required"/>
              <xs:attribute name="label" type="ST_String" use="required"/>
              <xs:attribute name="size" type="ST_Size"/>
              <xs:attribute name="imageMso" type="ST_ID"/>
              <xs:attribute name="screentip" type="ST_String"/>
              <xs:attribute name="supertip" type="ST_String"/>
              <xs:attribute name="onAction" type="ST_Delegate" use="required"/>
            </xs:complexType></xs:element>
          </xs:sequence><xs:attribute name="id" type="ST_ID" use="required"/>
            <xs:attribute name="label" type="ST_String" use="required"/></xs:complexType></xs:element>
        </xs:sequence><xs:attribute name="id" type="ST_ID" use="required"/>
          <xs:attribute name="label" type="ST_String" use="required"/></xs:complexType></xs:element>
      </xs:sequence></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""


@pytest.fixture(scope="module")
def xlam(tmp_path_factory):
    return build(tmp_path_factory.mktemp("addin") / "xlbilling.xlam")


def test_the_package_is_a_valid_macro_add_in(xlam):
    with zipfile.ZipFile(xlam) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("_rels/.rels").decode()
    assert {"xl/workbook.xml", "xl/vbaProject.bin", "customUI/customUI.xml"} <= names
    assert 'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
    assert 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" ' \
           'Target="customUI/customUI.xml"' in rels


def test_custom_ui_is_valid_and_routes_every_button_through_one_callback(xlam):
    with zipfile.ZipFile(xlam) as z:
        document = etree.fromstring(z.read("customUI/customUI.xml"))
    schema = etree.XMLSchema(etree.fromstring(CUSTOM_UI_XSD.encode()))
    assert schema.validate(document), schema.error_log
    buttons = document.findall(f".//{{{NAMESPACE}}}button")
    assert [b.get("id") for b in buttons] == [b.control_id for b in BUTTONS]
    assert {b.get("onAction") for b in buttons} == {CALLBACK}
    assert [g.get("label") for g in document.findall(f".//{{{NAMESPACE}}}group")] == ["Prepare", "Reconcile", "Close"]
    for button in BUTTONS:
        assert list(inspect.signature(getattr(macros, button.macro)).parameters) == ["book"]


def test_the_vba_project_reads_back_and_calls_python_with_the_button_id(xlam, tmp_path):
    with zipfile.ZipFile(xlam) as z:
        project = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(project, raise_defects=olefile.DEFECT_INCORRECT)  # strict: any defect raises
    for entry in ole.direntries:
        if entry is not None and entry.kids:
            names = [(len(k.name), k.name.upper()) for k in entry.kids]
            assert len(set(names)) == len(names)
    ole.close()
    parser = VBA_Parser(str(xlam))
    modules = {name: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    template = VBA_Parser(str(template_path()))
    assert set(modules) == {name for _, _, name, _ in template.extract_macros()}
    template.close()
    callback = modules["RibbonMyAddin.bas"]
    assert re.search(r"Sub RunMain\(control As IRibbonControl\)", callback)
    assert "RunPython \"import macros; macros.run_button('\" & control.Id & \"')\"" in callback
    assert 'Public Const PROJECT_NAME As String = "xlbilling"' in modules["xlwings.bas"]
    assert "Public Function RunPython" in modules["xlwings.bas"]


def test_addin_commands(tmp_path):
    out = tmp_path / "x.xlam"
    assert run("addin", "build", "--out", str(out)).returncode == 0 and out.stat().st_size > 10_000
    result = run("addin", "install")
    assert result.returncode == 2 and "Windows and macOS only" in result.stderr


def test_install_puts_the_settings_where_the_add_ins_vba_reads_them(tmp_path, monkeypatch):
    """xlwings' VBA (`GetConfigFilePath`) reads `%USERPROFILE%\\.<project>\\<project>.conf` on
    Windows and the sandbox home's `<project>.conf` on macOS; RunPython on macOS needs
    xlwings' AppleScript in Excel's Application Scripts folder."""
    import sys

    import xlwings

    from addin import install as installer

    assert installer.config_path("win32", tmp_path) == tmp_path / ".xlbilling" / "xlbilling.conf"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    xlam = tmp_path / "built" / "xlbilling.xlam"
    xlam.parent.mkdir()
    xlam.write_bytes(b"add-in")
    target, config = installer.install(xlam)
    assert target == tmp_path / installer.MAC_STARTUP / "xlbilling.xlam" and target.read_bytes() == b"add-in"
    assert config == tmp_path / "Library/Containers/com.microsoft.Excel/Data/xlbilling.conf"
    lines = config.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f'"INTERPRETER_MAC","{sys.executable}"' and '"UDF MODULES","udfs"' in lines
    assert (tmp_path / installer.MAC_SCRIPTS / f"xlwings-{xlwings.__version__}.applescript").is_file()


#: where Excel users run xlbilling: each (marker environment, wheel platform tag test)
WHEEL_TARGETS = {
    "Windows x64": ({"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
                     "os_name": "nt"}, lambda tag: tag == "win_amd64"),
    "macOS arm64": ({"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64",
                     "os_name": "posix"}, lambda tag: tag.startswith("macosx_") and tag.endswith(("_arm64", "_universal2"))),
    "macOS x86_64": ({"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64",
                      "os_name": "posix"},
                     lambda tag: tag.startswith("macosx_") and tag.endswith(("_x86_64", "_universal2", "_intel"))),
}


def _wheel_fits(tag, minor: int, platform_fits) -> bool:
    """A wheel tag installable on CPython 3.<minor> of that platform (pure, abi3 or version-exact)."""
    if tag.platform != "any" and not platform_fits(tag.platform):
        return False
    if tag.interpreter.startswith("py"):
        return tag.interpreter in ("py3", f"py3{minor}") and tag.abi == "none"
    if tag.interpreter.startswith("cp"):
        version = int(tag.interpreter[3:])
        return version <= minor if tag.abi == "abi3" else version == minor and tag.abi in (tag.interpreter, "none")
    return False


@pytest.mark.parametrize("minor", [11, 12, 13])
@pytest.mark.parametrize("target", sorted(WHEEL_TARGETS))
def test_every_runtime_dependency_installs_from_a_wheel(target, minor):
    """uv.lock, walked from xlbilling's runtime dependencies with each platform's markers: every
    package has a wheel for Windows x64, macOS arm64 and macOS x86_64 (no compiler on a billing
    desk's machine; cryptography ≥ 49 has no Intel-Mac wheel, so Intel Macs get 48)."""
    import tomllib
    from pathlib import Path

    from packaging.markers import Marker
    from packaging.utils import parse_wheel_filename

    lock = tomllib.loads((Path(__file__).resolve().parents[1] / "uv.lock").read_text(encoding="utf-8"))
    packages: dict[str, list[dict]] = {}
    for package in lock["package"]:
        packages.setdefault(package["name"], []).append(package)

    def locked(dependency: dict) -> dict:
        found = packages[dependency["name"]]
        return found[0] if len(found) == 1 else next(p for p in found if p["version"] == dependency["version"])

    base, platform_fits = WHEEL_TARGETS[target]
    environment = {**base, "python_version": f"3.{minor}", "python_full_version": f"3.{minor}.0",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    todo, seen, without_wheel = list(locked({"name": "xlbilling"})["dependencies"]), set(), []
    while todo:
        dependency = todo.pop()
        if "marker" in dependency and not Marker(dependency["marker"]).evaluate(environment):
            continue
        package = locked(dependency)
        key = (package["name"], package["version"], tuple(dependency.get("extra", ())))
        if key in seen:
            continue
        seen.add(key)
        todo += package.get("dependencies", [])
        for extra in dependency.get("extra", ()):
            todo += package.get("optional-dependencies", {}).get(extra, [])
        wheels = [w["url"].rsplit("/", 1)[1] for w in package.get("wheels", [])]
        if not any(_wheel_fits(tag, minor, platform_fits) for w in wheels for tag in parse_wheel_filename(w)[3]):
            without_wheel.append(f"{package['name']} {package['version']}")
    assert len(seen) > 30 and not without_wheel, without_wheel
