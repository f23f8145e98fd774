"""The add-in, built here on Linux and checked as Excel would need it, with independent tools:
a valid package whose ribbon relationship pairs with its customUI namespace, a customUI valid
against Microsoft's customUI schema, one callback for every button, a VBA project that olefile
reads strictly, whose modules are the template's plus xlwings' generated worksheet functions,
and in which `olevba -a` finds no stomping and nothing xlwings' own add-in does not also have."""

from __future__ import annotations

import copy
import inspect
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from oletools.olevba import VBA_Parser

import macros
from addin import ADDIN_FILE
from addin.build import build, read_streams, template_path, xlwings_version_of
from addin.project import module_names, module_offsets, records
from addin.ribbon import CALLBACK, NAMESPACE, PART, RELATIONSHIP
from addin.udf_module import MODULE, generate
from addin.vba import compress, decompress
from billing.errors import BadFile
from macros.buttons import BUTTONS, GROUPS
from test_cli import run
from shared_data import shared_set

ROOT = Path(__file__).resolve().parents[1]
#: Microsoft's customUI schema (2006/01, from OfficeDev/office-custom-ui-editor, MIT: see the
#: LICENSE beside it), as kept in github:fernandreu/office-ribbonx-editor
SCHEMA_PLACES = (ROOT / "tests" / "data" / "customui", shared_set("customui"))
XS = "{http://www.w3.org/2001/XMLSchema}"


def _xlwings_addin() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent / "addin" / "xlwings.xlam"


@pytest.fixture(scope="module")
def xlam(tmp_path_factory):
    return build(tmp_path_factory.mktemp("addin") / ADDIN_FILE)


def test_the_package_is_a_valid_macro_add_in(xlam):
    with zipfile.ZipFile(xlam) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        types = z.read("[Content_Types].xml").decode()
    assert {"xl/workbook.xml", "xl/vbaProject.bin", PART} <= names
    assert 'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types


#: the Open XML pairs: a relationship type and the customUI namespace of the part it points to
PAIRS = {"http://schemas.microsoft.com/office/2006/relationships/ui/extensibility":
         "http://schemas.microsoft.com/office/2006/01/customui",
         "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility":
         "http://schemas.microsoft.com/office/2009/07/customui"}


def _ribbon_pairs(path: Path) -> list[tuple[str, str]]:
    """(relationship type, namespace of its target's root) for each customUI relationship."""
    with zipfile.ZipFile(path) as z:
        rels = etree.fromstring(z.read("_rels/.rels"))
        return [(r.get("Type"), etree.QName(etree.fromstring(z.read(r.get("Target").lstrip("/")))).namespace)
                for r in rels if r.get("Type", "").endswith("/ui/extensibility")]


def test_the_ribbon_relationship_pairs_with_its_namespace_as_in_xlwings_own_add_in(xlam):
    ours = _ribbon_pairs(xlam)
    assert ours == [(RELATIONSHIP, NAMESPACE)] and PAIRS[RELATIONSHIP] == NAMESPACE
    assert _ribbon_pairs(_xlwings_addin()) == ours
    template = _ribbon_pairs(template_path())
    assert PAIRS[template[0][0]] != template[0][1]  # the template's mismatch, which the build repairs


def custom_ui_schema() -> etree.XMLSchema:
    """Microsoft's customUI.xsd as libxml2 takes it. libxml2 refuses a derived type that
    repeats an attribute of its base through an attribute group (.NET accepts it); each such
    repetition is dropped — the attribute stays, from the base — and nothing else changes."""
    place = next((p for p in SCHEMA_PLACES if (p / "customUI.xsd").is_file()), None)
    if place is None:
        pytest.skip(f"Microsoft's customUI.xsd is not in {' or '.join(map(str, SCHEMA_PLACES))}")
    assert (place / "LICENSE").is_file()
    tree = etree.parse(str(place / "customUI.xsd"))
    groups = {g.get("name"): g for g in tree.getroot().iter(XS + "attributeGroup") if g.get("name")}

    def attributes(group: str) -> list:
        found = []
        for child in groups[group]:
            if child.tag == XS + "attribute":
                found.append(child)
            elif child.tag == XS + "attributeGroup":
                found += attributes(child.get("ref"))
        return found

    for _ in range(100):
        try:
            return etree.XMLSchema(tree)
        except etree.XMLSchemaParseError as exc:
            repeated = re.search(r"complex type '(\w+)': Duplicate attribute use '(\w+)'", str(exc))
            if not repeated:
                raise
            kind, name = repeated.groups()
            extension = tree.getroot().find(f"{XS}complexType[@name='{kind}']").find(f".//{XS}extension")
            ref = next((r for r in extension.findall(XS + "attributeGroup")
                        if name in [a.get("name") for a in attributes(r.get("ref"))]), None)
            if ref is None:  # an attribute a group was unfolded into before
                extension.remove(extension.find(f"{XS}attribute[@name='{name}']"))
                continue
            at = list(extension).index(ref)
            extension.remove(ref)  # the group unfolded, without the repeated attribute
            for n, attribute in enumerate(a for a in attributes(ref.get("ref")) if a.get("name") != name):
                extension.insert(at + n, copy.deepcopy(attribute))
    raise AssertionError("customUI.xsd: too many repeated attributes")


def test_custom_ui_is_valid_against_microsofts_schema_and_routes_every_button_through_one_callback(xlam):
    schema = custom_ui_schema()
    with zipfile.ZipFile(xlam) as z:
        document = etree.fromstring(z.read(PART))
    assert schema.validate(document), schema.error_log
    with zipfile.ZipFile(_xlwings_addin()) as z:  # the schema as loaded accepts xlwings' own ribbon
        assert schema.validate(etree.fromstring(z.read("customUI/customUI.xml"))), schema.error_log
    wrong = etree.fromstring(etree.tostring(document))  # and refuses what Office would refuse
    wrong.find(f".//{{{NAMESPACE}}}button").set("size", "huge")
    assert not schema.validate(wrong)
    buttons = document.findall(f".//{{{NAMESPACE}}}button")
    assert [b.get("id") for b in buttons] == [b.control_id for b in BUTTONS]
    assert {b.get("onAction") for b in buttons} == {CALLBACK}
    assert [g.get("label") for g in document.findall(f".//{{{NAMESPACE}}}group")] == list(GROUPS)
    for button in BUTTONS:
        assert list(inspect.signature(getattr(macros, button.macro)).parameters) == ["book"]


def test_the_vba_project_holds_the_functions_module_and_calls_python_with_the_button_id(xlam):
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
    assert set(modules) == {name for _, _, name, _ in template.extract_macros()} | {f"{MODULE}.bas"}
    template.close()
    callback = modules["RibbonMyAddin.bas"]
    assert re.search(r"Sub RunMain\(control As IRibbonControl\)", callback)
    assert "RunPython \"import macros; macros.run_button('\" & control.Id & \"')\"" in callback
    assert 'Public Const PROJECT_NAME As String = "xlbilling"' in modules["xlwings.bas"]
    assert "Public Function RunPython" in modules["xlwings.bas"]
    streams = read_streams(project)
    assert module_names(decompress(streams["VBA/dir"]))[-1] == MODULE
    assert b"\r\nModule=" + MODULE.encode() + b"\r\n" in streams["PROJECT"]
    assert b'\r\nName="xlbilling"\r\n' in streams["PROJECT"]
    assert [raw[6:] for record, raw in records(decompress(streams["VBA/dir"])) if record == 0x0004] == [b"xlbilling"]
    assert MODULE.encode("utf-16-le") in streams["PROJECTwm"]


def test_the_functions_module_is_xlwings_generated_wrapper_of_every_udf(xlam):
    import udfs

    generated = generate()
    parser = VBA_Parser(str(xlam))
    module = {name: code for _, _, name, code in parser.extract_macros()}[f"{MODULE}.bas"]
    parser.close()
    assert module.replace("\r\n", "\n").strip() == generated.source.replace("\r\n", "\n").strip()
    assert sorted(generated.functions) == sorted(udfs.__all__)
    for name in udfs.__all__:
        assert re.search(rf"^Function {name}\(", module, re.M), name
        # the add-in's own Python (its xlbilling.conf settings), module `udfs`, the calling workbook
        assert f'{name} = XLPy.CallUDF("udfs", "{name}", ' in module
    assert "ActiveWorkbook, Application.Caller)" in module and "ThisWorkbook" not in module


@pytest.mark.parametrize(("name", "declaration", "arguments"), [
    ("XLB_LATE_INTEREST", "Function XLB_LATE_INTEREST(amount, due, as_of, Optional margin, Optional rates, "
     "Optional day_count, Optional currency_code)", ("amount", "due", "as_of", "margin", "rates", "day_count",
                                                     "currency_code")),
    ("XLB_DUNNING_LEVEL", "Function XLB_DUNNING_LEVEL(days_past_due, Optional levels, Optional grace_days)",
     ("days_past_due", "levels", "grace_days")),
    ("XLB_PRORATE", "Function XLB_PRORATE(amount, period_start, period_end, from_date, to_date, Optional rule, "
     "Optional currency_code)", ("amount", "period_start", "period_end", "from_date", "to_date", "rule",
                                 "currency_code")),
    ("XLB_NEXT_BILLING_DATE", "Function XLB_NEXT_BILLING_DATE(start, period, anchor, as_of)",
     ("start", "period", "anchor", "as_of")),
])
def test_the_collections_functions_are_declared_with_their_help(xlam, name, declaration, arguments):
    """The add-in's module declares the collections UDFs as xlwings does (optional arguments
    `Optional`, every argument passed to Python in order) and xlwings registers them with
    the docstring as Excel's help and a help text per argument."""
    import udfs

    parser = VBA_Parser(str(xlam))
    module = {name: code for _, _, name, code in parser.extract_macros()}[f"{MODULE}.bas"]
    parser.close()
    assert declaration in module.splitlines()
    assert f'{name} = XLPy.CallUDF("udfs", "{name}", Array({", ".join(arguments)}), ActiveWorkbook, ' \
           f'Application.Caller)' in module
    info = generate().functions[name]
    assert info["ret"]["doc"] == getattr(udfs, name).__doc__
    assert [a["name"] for a in info["args"]] == list(arguments)
    assert all(len(a["doc"]) > 15 and not a["doc"].startswith("Positional argument") for a in info["args"])


def test_no_compiled_code_is_left_beside_the_source(xlam):
    """Every module is source only (MODULEOFFSET 0) and `_VBA_PROJECT` is the version-0xFFFF
    stream without a cache: Office compiles from source; nothing stale can run."""
    with zipfile.ZipFile(xlam) as z:
        streams = read_streams(z.read("xl/vbaProject.bin"))
    offsets = module_offsets(decompress(streams["VBA/dir"]))
    assert len(offsets) == 6 and set(offsets.values()) == {0}
    assert streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000100")
    for name in offsets:
        assert streams[f"VBA/{name}"][0] == 1  # the compressed container starts at once


def _olevba(path: Path) -> tuple[set[tuple[str, str]], list[str]]:
    """`olevba -a` (oletools' command line, JSON output): its findings and the modules it saw."""
    result = subprocess.run([sys.executable, "-m", "oletools.olevba", "-a", "-j", str(path)],
                            capture_output=True, text=True)
    report = next(r for r in json.loads(result.stdout) if r.get("type") == "OpenXML")
    findings = {(a["type"], a["keyword"].lower()) for a in report["analysis"] or []}
    return findings, [m["vba_filename"] for m in report["macros"]]


def test_olevba_finds_no_stomping_and_nothing_xlwings_own_add_in_has_not(xlam):
    ours, modules = _olevba(xlam)
    theirs, _ = _olevba(_xlwings_addin())
    assert f"{MODULE}.bas" in modules
    assert ("Suspicious", "vba stomping") not in ours
    assert ours - theirs == set(), ours - theirs
    before, _ = _olevba(template_path().parent / "quickstart_addin_ribbon.xlam")
    assert ("Suspicious", "vba stomping") not in before  # the template itself is clean: the build was not


def test_addin_commands(tmp_path):
    out = tmp_path / "x.xlam"
    assert run("addin", "build", "--out", str(out)).returncode == 0 and out.stat().st_size > 10_000
    result = run("addin", "install")
    assert result.returncode == 2 and "Windows and macOS only" in result.stderr


def _built(tmp_path: Path, monkeypatch, xlam: Path) -> Path:
    import shutil

    copy = tmp_path / "built" / ADDIN_FILE
    copy.parent.mkdir()
    shutil.copyfile(xlam, copy)
    return copy


def test_install_puts_the_settings_where_the_add_ins_vba_reads_them(tmp_path, monkeypatch, xlam):
    """xlwings' VBA (`GetConfigFilePath`) reads `%USERPROFILE%\\.<project>\\<project>.conf` on
    Windows and the sandbox home's `<project>.conf` on macOS; RunPython on macOS needs
    xlwings' AppleScript in Excel's Application Scripts folder."""
    import xlwings

    from addin import install as installer

    assert installer.config_path("win32", tmp_path) == tmp_path / ".xlbilling" / "xlbilling.conf"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(sys, "executable", "/Users/ana/xlbilling/.venv/bin/python")
    built = _built(tmp_path, monkeypatch, xlam)
    target, config = installer.install(built)
    assert target == tmp_path / installer.MAC_STARTUP / ADDIN_FILE and target.read_bytes() == built.read_bytes()
    assert config == tmp_path / "Library/Containers/com.microsoft.Excel/Data/xlbilling.conf"
    lines = config.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"INTERPRETER_MAC","/Users/ana/xlbilling/.venv/bin/python"' and '"UDF MODULES","udfs"' in lines
    assert (tmp_path / installer.MAC_SCRIPTS / f"xlwings-{xlwings.__version__}.applescript").is_file()


def test_install_refuses_an_add_in_of_another_xlwings_version_and_says_what_to_do(tmp_path, monkeypatch, xlam):
    import xlwings

    from addin import install as installer

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    built = _built(tmp_path, monkeypatch, xlam)
    assert xlwings_version_of(built) == xlwings.__version__
    monkeypatch.setattr(xlwings, "__version__", "99.0.0")
    with pytest.raises(BadFile) as refused:
        installer.install(built)
    assert str(refused.value) == (
        f"{built} was built with xlwings {xlwings_version_of(built)}, but this Python has xlwings 99.0.0: run "
        f"`xlbilling addin build` and then `xlbilling addin install` again (or install xlwings "
        f"{xlwings_version_of(built)}: `uv add xlwings=={xlwings_version_of(built)}`)")
    assert not (tmp_path / installer.MAC_STARTUP).exists()  # nothing copied
    with pytest.raises(BadFile, match="not an add-in built by"):
        installer.check_xlwings_version(tmp_path / "built")


@pytest.mark.parametrize("interpreter", ["/Users/Ana Lopez/xlbilling/.venv/bin/python",
                                         "/Users/ana/it's/.venv/bin/python", "/Users/ana/a|b/bin/python"])
def test_install_on_macos_refuses_an_interpreter_path_the_shell_would_split(tmp_path, monkeypatch, xlam,
                                                                             interpreter):
    from addin import install as installer

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(sys, "executable", interpreter)
    with pytest.raises(BadFile, match=r"Excel for Mac \(xlwings' RunPython\) puts it into a shell command unquoted"):
        installer.install(_built(tmp_path, monkeypatch, xlam))
    assert not (tmp_path / installer.MAC_STARTUP).exists()
    installer.check_mac_paths("/Users/ana/xlbilling/.venv/bin/python", Path("/Users/ana/My Projects/xlbilling"))
    with pytest.raises(BadFile, match="the project folder"):
        installer.check_mac_paths("/usr/bin/python3", Path("/Users/ana/it's"))


class _AddIn:
    """The add-in as COM shows it to the refresh macro: its VBA project and Save."""

    def __init__(self, trusted: bool):
        self.trusted, self.saved = trusted, False

    @property
    def VBProject(self):
        if not self.trusted:
            raise RuntimeError("Programmatic access to Visual Basic Project is not trusted")
        return type("P", (), {"VBComponents": type("C", (), {"Count": 6})()})()

    def Save(self):
        self.saved = True


def test_refresh_functions_reimports_into_the_add_in_with_xlwings_import(monkeypatch):
    import types

    import xlwings

    from macros.fakebook import FakeApp

    imported = []
    for trusted in (True, False):
        addin = _AddIn(trusted)
        app = FakeApp()
        app.api = types.SimpleNamespace(Workbooks=lambda name: addin if name == ADDIN_FILE else None)
        book = types.SimpleNamespace(app=app)
        monkeypatch.setattr(sys, "platform", "linux")
        macros.refresh_functions(book)
        assert app.alerts[-1] == "Refresh functions: worksheet functions run in Excel for Windows only (xlwings UDFs)"
        monkeypatch.setattr(sys, "platform", "win32")
        monkeypatch.setattr(xlwings, "import_udfs", lambda modules, workbook: imported.append((modules, workbook)),
                            raising=False)
        macros.refresh_functions(book)
        if trusted:
            assert imported == [("udfs", addin)] and addin.saved
            assert app.alerts[-1] == "The XLB_ functions were imported again"
        else:
            assert len(imported) == 1 and not addin.saved and "Trust access to the VBA project object model" in \
                app.alerts[-1]


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


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"b", b"Sub ", b"End Sub\r\n", b"\x00", b"\xff", b" " * 40]), max_size=900)
       .map(b"".join))
def test_compression_round_trips_through_oletools_reader(data):
    """MS-OVBA compression (`addin.vba.compress`) read back by oletools' decompressor, across
    chunk boundaries (4096 bytes) and long repeats (copy tokens up to the chunk's length limit)."""
    assert decompress(compress(data)) == data


def test_compressing_xlwings_vba_module_round_trips_and_shrinks_it():
    import xlwings

    source = (Path(xlwings.__file__).parent / "xlwings.bas").read_bytes().replace(b"\n", b"\r\n")
    packed = compress(source)
    assert decompress(packed) == source and len(packed) < len(source) / 2
