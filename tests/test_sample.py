"""Sample data: deterministic, valid identifiers, gap-free numbers, truthful payments."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import unicodedata
import uuid
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from schwifty import IBAN
from stdnum import iso11649
from stdnum.eu import vat as eu_vat

from billing.settings import NUMBER_SETTINGS
from billing.contract import CUSTOMERS, DISPUTES, INTEREST_RATES, INVOICE_LINES, INVOICES, PAYMENTS, TAX_RATES
from billing.sample import (DEFAULT_AS_OF, SAMPLE_PARTICULARS, SCENARIOS, SampleData, Shape, generate_sample,
                            rf_reference)
from billing.settings import SETTING_DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
AS_OF = DEFAULT_AS_OF


@pytest.fixture(scope="module")
def data() -> SampleData:
    return generate_sample(200, seed=0)


@pytest.fixture(scope="module")
def big() -> SampleData:
    return generate_sample(3000, seed=5)


def without_id(data: SampleData) -> SampleData:
    return dataclasses.replace(data, settings=tuple(p for p in data.settings if p[0] != "workbook_id"))


def digest(data: SampleData) -> str:
    d = without_id(data)
    parts = (d.settings, d.customers, d.tax_rates, d.invoices, d.lines, d.payments, dict(d.truth), dict(d.scenarios))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def invoice_gross(invoice: dict, lines: list[dict], rates: dict[str, Decimal]) -> Decimal:
    """An independent reckoning of an invoice's gross (per-code discount and tax, half up)."""
    cent = Decimal("0.01")

    def r(x: Decimal) -> Decimal:
        return x.quantize(cent, rounding=ROUND_HALF_UP)

    groups: dict[str, Decimal] = defaultdict(Decimal)
    if lines:
        for line in lines:
            groups[line["tax_code"]] += r(line["quantity"] * line["unit_price"] * (1 - (line["discount_pct"] or 0)))
    else:
        groups[invoice["tax_code"]] += invoice["net"]
    total = Decimal(0)
    for code, net in groups.items():
        net -= r(net * (invoice["discount_pct"] or 0)) if lines else 0
        total += net + r(net * rates[code])
    return total


@pytest.fixture(scope="module")
def gross(data: SampleData) -> dict[str, Decimal]:
    rates = {t["tax_code"]: t["rate"] for t in data.tax_rates}
    by_key = defaultdict(list)
    for line in data.lines:
        by_key[line["invoice_key"]].append(line)
    return {i["invoice_key"]: invoice_gross(i, by_key[i["invoice_key"]], rates) for i in data.invoices}


def folded(name: str) -> str:
    """A name as compared across bank spellings: umlauts spelled out, accents and case dropped."""
    name = name.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_data_apart_from_workbook_id():
    a, b = generate_sample(200, seed=7), generate_sample(200, seed=7)
    assert without_id(a) == without_id(b)
    assert dict(a.truth) == dict(b.truth) and dict(a.scenarios) == dict(b.scenarios)
    assert a.workbook_id != b.workbook_id
    uuid.UUID(a.workbook_id)


def test_different_seed_or_date_different_data():
    a = generate_sample(200, seed=1)
    assert without_id(a) != without_id(generate_sample(200, seed=2))
    assert without_id(a) != without_id(generate_sample(200, seed=1, as_of=dt.date(2026, 6, 30)))


def test_workbook_id_can_be_given():
    wid = "0b9a4d1e-9a59-4f57-9d5a-2d1f0f1f8e11"
    assert generate_sample(10, workbook_id=wid).workbook_id == wid


def test_same_data_in_another_process_with_another_hash_seed():
    code = "from tests.test_sample import digest; from billing.sample import generate_sample; print(digest(generate_sample(300, seed=3)))"
    outputs = set()
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
        outputs.add(run.stdout.strip())
    assert outputs == {digest(generate_sample(300, seed=3))}


def test_default_as_of_is_fixed(data):
    assert AS_OF == dt.date(2026, 10, 31)
    assert max(p["value_date"] for p in data.payments) <= AS_OF
    assert all(AS_OF - dt.timedelta(days=100) < i["issue_date"] <= AS_OF for i in data.invoices)


def test_zero_invoices():
    empty = generate_sample(0)
    assert len(empty.customers) == 5 and empty.invoices == () and empty.payments == ()


# --------------------------------------------------------------------------- shape


def test_rows_have_exactly_the_contract_columns(data):
    for spec, rows in ((CUSTOMERS, data.customers), (TAX_RATES, data.tax_rates), (INVOICES, data.invoices),
                       (INVOICE_LINES, data.lines), (PAYMENTS, data.payments), (DISPUTES, data.disputes),
                       (INTEREST_RATES, data.interest_rates)):
        assert rows and all(tuple(row) == spec.column_names for row in rows), spec.name
        assert data.rows(spec.name) is rows


def test_values_are_typed_by_column_kind(data):
    kinds = {"money": Decimal, "rate": Decimal, "number": Decimal, "integer": int, "date": dt.date, "text": str}
    for spec, rows in ((CUSTOMERS, data.customers), (TAX_RATES, data.tax_rates), (INVOICES, data.invoices),
                       (INVOICE_LINES, data.lines), (PAYMENTS, data.payments), (DISPUTES, data.disputes),
                       (INTEREST_RATES, data.interest_rates)):
        for row in rows:
            for column in spec.columns:
                value = row[column.name]
                assert value is None or type(value) is kinds[column.kind.value], (spec.name, column.name, value)


def test_settings_are_every_contract_key_with_its_default(data):
    """...and the issuer's particulars, so the sample's invoices can be issued."""
    settings = dict(data.settings)
    assert list(settings) == list(SETTING_DEFAULTS)
    assert settings["company_name"] and settings["match_tolerance"] == Decimal("0.05")
    for key, (default, _) in SETTING_DEFAULTS.items():
        if key in SAMPLE_PARTICULARS:
            assert settings[key] == SAMPLE_PARTICULARS[key]
        elif key in NUMBER_SETTINGS:  # amounts and fractions are number cells
            assert settings[key] == Decimal(default)
        elif key not in ("workbook_id", "company_name"):
            assert settings[key] == (default or None)  # a blank default is a blank cell


def test_tax_rates(data):
    rates = {t["tax_code"]: (t["rate"], t["kind"]) for t in data.tax_rates}
    assert rates == {
        "S19": (Decimal("0.19"), "standard"), "R7": (Decimal("0.07"), "reduced"), "Z0": (Decimal(0), "zero"),
        "EX": (Decimal(0), "exempt"), "RC": (Decimal(0), "reverse_charge"),
    }


# --------------------------------------------------------------------------- customers


def test_customers(big):
    customers = big.customers
    assert len(customers) == 3000 // 20
    assert [c["customer_id"] for c in customers] == [f"C{n:04d}" for n in range(1, len(customers) + 1)]
    assert len({c["name"] for c in customers}) == len(customers)
    currencies = Counter(c["currency"] for c in customers)
    assert currencies.most_common(1)[0][0] == "EUR" and {"CHF", "USD", "GBP"} <= set(currencies)
    assert {c["terms"] for c in customers} <= {"NET14", "NET30", "EOM30", "2/10 NET30", "DUE", None}
    assert all(re.fullmatch(r"[a-z.]+@[a-z0-9-]+\.[a-z.]+", c["email"]) for c in customers)
    assert any(";" in (c["iban"] or "") for c in customers)


def test_every_vat_id_valid(big):
    vat_ids = [c["vat_id"] for c in big.customers if c["vat_id"]]
    assert len(vat_ids) > len(big.customers) * 0.8
    assert {v[:2] for v in vat_ids} >= {"DE", "AT", "NL", "FR", "BE"}
    assert all(eu_vat.is_valid(v) for v in vat_ids), [v for v in vat_ids if not eu_vat.is_valid(v)]


def test_every_iban_valid(big):
    ibans = [i for c in big.customers if c["iban"] for i in c["iban"].split(";")]
    ibans += [p["payer_iban"] for p in big.payments if p["payer_iban"]]
    assert all(IBAN(i, validate_bban=True) for i in ibans)
    assert {i[:2] for i in ibans} >= {"DE", "AT", "NL", "FR", "BE", "CH", "GB"}


def test_small_sample_has_foreign_customers(data):
    assert {c["currency"] for c in data.customers} > {"EUR"}
    assert {c["terms"] for c in data.customers} >= {"NET14", "NET30", "EOM30", "2/10 NET30", "DUE"}


# --------------------------------------------------------------------------- invoices


def test_invoice_keys_and_mix(big):
    invoices = big.invoices
    assert [i["invoice_key"] for i in invoices] == [f"K{n:06d}" for n in range(1, len(invoices) + 1)]
    assert [i["issue_date"] for i in invoices] == sorted(i["issue_date"] for i in invoices)
    n = len(invoices)
    status = Counter(i["status"] for i in invoices)
    assert 0.02 * n < status["draft"] < 0.08 * n
    assert 0.005 * n < status["void"] < 0.04 * n
    assert 0.03 * n < sum(i["kind"] == "credit_note" for i in invoices) < 0.08 * n
    assert all(i["issue_date"].weekday() < 5 for i in invoices)
    assert all(i["due_date"] is None and i["tax"] is None and i["gross"] is None for i in invoices)
    discounts = Counter(i["discount_pct"] for i in invoices)
    assert discounts.most_common(1)[0][0] is None and set(discounts) == {None, Decimal("0.05"), Decimal("0.1")}
    assert sum(i["terms"] is None for i in invoices) > 0.85 * n


def test_invoice_currency_is_the_customers(big):
    currency = {c["customer_id"]: c["currency"] for c in big.customers}
    assert all(i["currency"] == currency[i["customer_id"]] for i in big.invoices)


def test_drafts_voids_and_unnumbered(big):
    cutoff = AS_OF - dt.timedelta(days=3)
    for i in big.invoices:
        if i["status"] == "draft":
            assert i["invoice_no"] is None and i["payment_reference"] is None
        elif i["status"] == "void":
            assert i["invoice_no"] and i["void_reason"]
        else:
            assert i["status"] == "issued" and not i["void_reason"]
            assert (i["invoice_no"] is None) == (i["issue_date"] > cutoff)
    assert any(i["status"] == "issued" and i["invoice_no"] is None for i in big.invoices)


def test_numbers_gap_free_per_series_and_year_in_issue_date_order(big):
    series: dict[tuple[str, int], list[tuple[dt.date, str, int]]] = defaultdict(list)
    for i in big.invoices:
        if i["invoice_no"]:
            prefix, year, seq = i["invoice_no"].split("-")
            assert prefix == ("CN" if i["kind"] == "credit_note" else "INV")
            assert int(year) == i["issue_date"].year and len(seq) == 6
            series[(prefix, int(year))].append((i["issue_date"], i["invoice_key"], int(seq)))
    assert {p for p, _ in series} == {"INV", "CN"}
    for numbers in series.values():
        numbers.sort()
        assert [n[2] for n in numbers] == list(range(1, len(numbers) + 1))


def test_numbers_restart_each_year():
    data = generate_sample(400, seed=2, as_of=dt.date(2027, 1, 20))
    years = Counter(i["invoice_no"][4:8] for i in data.invoices if (i["invoice_no"] or "").startswith("INV"))
    assert set(years) == {"2026", "2027"}
    assert "INV-2027-000001" in {i["invoice_no"] for i in data.invoices}


def test_payment_references_are_valid_rf_from_the_number(big):
    for i in big.invoices:
        if i["invoice_no"]:
            assert iso11649.is_valid(i["payment_reference"])
            assert i["payment_reference"] == rf_reference(i["invoice_no"])
            assert i["payment_reference"].endswith(i["invoice_no"].replace("-", ""))
        else:
            assert i["payment_reference"] is None


def test_credit_notes_correct_an_earlier_invoice_of_the_customer(big):
    by_no = {i["invoice_no"]: i for i in big.invoices if i["invoice_no"]}
    notes = [i for i in big.invoices if i["kind"] == "credit_note"]
    assert notes
    for note in notes:
        corrected = by_no[note["corrects"]]
        assert corrected["kind"] == "invoice" and corrected["status"] == "issued"
        assert corrected["customer_id"] == note["customer_id"]
        assert corrected["issue_date"] <= note["issue_date"] and corrected["invoice_key"] < note["invoice_key"]
    assert all(i["corrects"] is None for i in big.invoices if i["kind"] == "invoice")


def test_lines(big):
    lines_by_key = defaultdict(list)
    for line in big.lines:
        lines_by_key[line["invoice_key"]].append(line)
        assert line["net"] is None and line["tax"] is None and line["gross"] is None
        assert line["quantity"] > 0 and line["unit_price"] > 0 and line["unit_price"].as_tuple().exponent == -2
    assert set(lines_by_key) <= {i["invoice_key"] for i in big.invoices}
    for key, lines in lines_by_key.items():
        assert [line["line_no"] for line in lines] == list(range(1, len(lines) + 1)) and len(lines) <= 5
    lineless = [i for i in big.invoices if i["invoice_key"] not in lines_by_key]
    assert 0.06 * len(big.invoices) < len(lineless) < 0.15 * len(big.invoices)
    assert all(i["tax_code"] and i["net"] > 0 for i in lineless)
    assert all(i["tax_code"] is None and i["net"] is None for i in big.invoices if i["invoice_key"] in lines_by_key)
    assert any(line["quantity"] != line["quantity"].to_integral_value() for line in big.lines)
    assert any(line["discount_pct"] for line in big.lines)
    codes = Counter(line["tax_code"] for line in big.lines)
    assert codes.most_common(1)[0][0] == "S19" and set(codes) == {"S19", "R7", "Z0", "EX", "RC"}


# --------------------------------------------------------------------------- payments


def test_payment_ids_dates_and_currency(data):
    payments = data.payments
    assert [p["payment_id"] for p in payments] == [f"P{n:06d}" for n in range(1, len(payments) + 1)]
    assert [p["value_date"] for p in payments] == sorted(p["value_date"] for p in payments)
    assert all(p["value_date"].weekday() < 5 and p["amount"] > 0 for p in payments)
    invoices = {i["invoice_key"]: i for i in data.invoices}
    for p in payments:
        for key, _ in data.truth[p["payment_id"]]:
            assert p["currency"] == invoices[key]["currency"]
            assert p["value_date"] > invoices[key]["issue_date"]


def test_truth_is_consistent(data):
    invoices = {i["invoice_key"]: i for i in data.invoices}
    assert set(data.truth) == {p["payment_id"] for p in data.payments} == set(data.scenarios)
    paid_by: Counter[str] = Counter()
    for p in data.payments:
        allocations = data.truth[p["payment_id"]]
        assert sum((a for _, a in allocations), Decimal(0)) <= p["amount"]
        for key, amount in allocations:
            assert invoices[key]["status"] == "issued" and invoices[key]["invoice_no"]
            assert invoices[key]["kind"] == "invoice" and amount > 0
            paid_by[key] += 1
    assert all(n == 1 or data.scenarios[p] == "partial" for p in data.truth for k, _ in data.truth[p]
               for n in [paid_by[k]])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_every_scenario_present_at_200_invoices(seed):
    data = generate_sample(200, seed=seed)
    assert set(data.scenarios.values()) == set(SCENARIOS)


def test_scenarios_look_like_their_names(data, gross):
    invoices = {i["invoice_key"]: i for i in data.invoices}
    customers = {c["customer_id"]: c for c in data.customers}
    numbers = [i["invoice_no"] for i in data.invoices if i["invoice_no"]]
    for p in data.payments:
        scenario, truth, text = data.scenarios[p["payment_id"]], data.truth[p["payment_id"]], p["reference_text"] or ""
        compact = text.replace(" ", "")
        if scenario == "noise":
            assert truth == () and p["payer_name"] not in {c["name"] for c in data.customers}
            continue
        first = invoices[truth[0][0]]
        customer = customers[first["customer_id"]]
        assert folded(p["payer_name"]).startswith(folded(customer["name"].split()[0]))
        assert p["payer_iban"] is None or p["payer_iban"] in (customer["iban"] or "").split(";")
        amount, g = p["amount"], gross[first["invoice_key"]]
        if scenario == "reference":
            assert first["payment_reference"] in compact and amount == g
        elif scenario == "invoice_no":
            assert first["invoice_no"] in text and amount == g
        elif scenario == "typo":
            assert first["invoice_no"] not in text and amount == g
            assert not any(n in text for n in numbers)
        elif scenario == "combined":
            assert len(truth) >= 2 and all(invoices[k]["invoice_no"] in text for k, _ in truth)
            assert amount == sum(gross[k] for k, _ in truth) == sum(a for _, a in truth)
            assert len({invoices[k]["customer_id"] for k, _ in truth}) == 1
        elif scenario == "combined_noref":
            assert len(truth) >= 2 and not any(n in text for n in numbers) and "RF" not in text
            assert amount == sum(gross[k] for k, _ in truth)
        elif scenario == "partial":
            assert 0 < amount < g and truth == ((first["invoice_key"], amount),)
        elif scenario == "short":
            assert Decimal("0.01") <= g - amount <= Decimal("0.05") and truth == ((first["invoice_key"], amount),)
        elif scenario == "discount":
            terms = first["terms"] or customer["terms"]
            assert terms == "2/10 NET30"
            assert amount == (g * Decimal("0.98")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert (p["value_date"] - first["issue_date"]).days <= 10
        elif scenario == "overpaid":
            assert amount - g > Decimal("0.05") and truth == ((first["invoice_key"], g),)
        elif scenario == "name_amount":
            assert not any(n in text for n in numbers) and "RF" not in compact
            assert p["payer_iban"] in customer["iban"].split(";") and amount == g


def test_payer_names_vary(big):
    customers = {c["name"] for c in big.customers}
    names = [p["payer_name"] for p in big.payments if big.scenarios[p["payment_id"]] != "noise"]
    assert any(n in customers for n in names)
    assert any(n.isupper() for n in names)
    assert any(n not in customers and not n.isupper() for n in names)


def test_some_invoices_are_left_unpaid_and_overdue(data):
    paid = {k for t in data.truth.values() for k, _ in t}
    open_items = [i for i in data.invoices if i["status"] == "issued" and i["kind"] == "invoice"
                  and i["invoice_no"] and i["invoice_key"] not in paid]
    assert open_items
    assert any(i["issue_date"] < AS_OF - dt.timedelta(days=45) for i in open_items)  # overdue on any terms


# --------------------------------------------------------------------------- scale



def test_the_demos_sample_has_a_mix_for_reminders(tmp_path):
    """As of the demo's close (300 invoices, seed 1, 2026-10-31), the letters due through the
    pipeline's ledger (read, validated, computed, matched, aged as `close` does) show each case
    the reminders have: letters at levels 1, 2 and 3, the compensation to EUR business customers
    (VAT id), none in GBP, an open dispute keeping part of an invoice out of a letter, a
    customer on hold, promises to pay after the date, a reminder too recent to send another."""
    from billing.collections.disputes import disputes_of, open_disputed
    from billing.collections.interest import RateTimeline
    from billing.collections.policy import policy_of
    from billing.collections.reminders import Holds, Reminded, letters_due
    from billing.pipeline import checked
    from billing.pipeline.steps import applied_of, compute_step, match_step, receivables_step
    from billing.receivables.aging import open_items
    from billing.sample.demo import prepare_demo
    from billing.workbook.read import read_book

    demo = prepare_demo(tmp_path)  # the demo's workbook: its last payments still in bank files
    book = read_book(demo.workbook)
    tables = checked(book).tables
    step = compute_step(book, tables)
    matched = match_step(book, tables, step.computed, list(demo.statements))
    as_of = demo.as_of
    ledger = receivables_step(book, matched.tables, step.computed, as_of, applied=applied_of(matched)).ledger
    t = matched.tables
    customers, invoices = t.customers, t.invoices

    def yes(value):
        return str(value or "").strip().lower() == "yes"

    def dated(frame, key):
        return {k: d for k, d in zip(frame[key], frame["promise_date"]) if k and isinstance(d, dt.date)}

    holds = Holds(frozenset(customers.loc[customers["on_hold"].map(yes), "customer_id"]),
                  frozenset(invoices.loc[invoices["on_hold"].map(yes), "invoice_no"]),
                  dated(customers, "customer_id"), dated(invoices, "invoice_no"))
    reminded = {no: Reminded(day if isinstance(day, dt.date) else None, None if level is None else int(level))
                for no, day, level in zip(invoices["invoice_no"], invoices["last_reminder"], invoices["dunning_level"])
                if no}
    still_open = {o.item.number: o.amount for o in open_items(ledger.items, ledger.applied, as_of, "due_date")}
    disputed = open_disputed([d for d in disputes_of(t.disputes.to_dict("records")) if d.opened <= as_of],
                             still_open)
    businesses = frozenset(customers.loc[customers["vat_id"].notna(), "customer_id"])
    rates = RateTimeline.of(zip(t.interest_rates["valid_from"], t.interest_rates["rate"]))
    due = letters_due(ledger, as_of, policy_of(t.settings), rates, disputed=disputed, holds=holds, reminded=reminded,
                      businesses=businesses)

    assert as_of == dt.date(2026, 10, 31)
    assert [(l.customer_id, l.currency, l.level, str(l.compensation)) for l in due.letters] == [
        ("C0002", "EUR", 3, "360.00"), ("C0003", "EUR", 2, "0.00"), ("C0008", "EUR", 3, "40.00"),
        ("C0010", "GBP", 3, "0.00"), ("C0012", "EUR", 1, "0.00"), ("C0014", "EUR", 3, "160.00")]
    assert {l.customer_id for l in due.letters if l.compensation} <= businesses
    assert all(l.interest > 0 for l in due.letters if l.level >= 2)  # levels 2 and 3 charge interest
    (kept_out,) = [(l.customer_id, i.invoice_no, str(i.disputed)) for l in due.letters for i in l.items if i.disputed]
    assert kept_out == ("C0002", "INV-2026-000019", "1824.67")
    why = defaultdict(set)
    for s in due.skipped:
        why[s.code].add(s.customer_id)
    assert why["on_hold"] == {"C0001"} and why["promise"] == {"C0007", "C0015"}
    assert why["too_soon"] == {"C0005", "C0009"}  # reminded within dunning_min_days (7)
    assert holds.customers == {"C0001"} and min(holds.customer_promises.values()) > as_of


# --------------------------------------------------------------------------- shape (benchmark sizes)


@pytest.mark.parametrize("invoices, lines, payments", [(200, 3, 1.0), (1000, 3, 1.0), (500, 1, 0.8), (300, 5, 2.0)])
def test_shape_gives_exact_lines_and_payments(invoices, lines, payments):
    data = generate_sample(invoices, seed=3, shape=Shape(lines_per_invoice=lines, payments_per_invoice=payments))
    per_invoice = Counter(line["invoice_key"] for line in data.lines)
    assert len(data.invoices) == invoices and len(data.lines) == invoices * lines
    assert set(per_invoice.values()) == {lines} and set(per_invoice) == {i["invoice_key"] for i in data.invoices}
    assert all(i["net"] is None and i["tax_code"] is None for i in data.invoices)  # no flat fees
    assert len(data.payments) == round(invoices * payments)
    assert [p["payment_id"] for p in data.payments] == [f"P{n:06d}" for n in range(1, len(data.payments) + 1)]


def test_shape_keeps_payments_true_to_the_gross():
    """The shaped sample's payments pay what its invoices' lines add up to, as the natural one's do."""
    data = generate_sample(400, seed=2, shape=Shape(3, 1.0))
    rates = {t["tax_code"]: t["rate"] for t in data.tax_rates}
    by_key = defaultdict(list)
    for line in data.lines:
        by_key[line["invoice_key"]].append(line)
    gross = {i["invoice_key"]: invoice_gross(i, by_key[i["invoice_key"]], rates) for i in data.invoices}
    reference = [p for p in data.payments if data.scenarios[p["payment_id"]] == "reference"]
    assert reference
    for p in reference:
        [(key, amount)] = data.truth[p["payment_id"]]
        assert amount == p["amount"] == gross[key]
    assert set(data.scenarios.values()) == set(SCENARIOS)


def test_credit_notes_of_a_shaped_sample_give_back_every_line():
    data = generate_sample(1000, seed=4, shape=Shape(3, 1.0))
    by_no = {i["invoice_no"]: i["invoice_key"] for i in data.invoices if i["invoice_no"]}
    lines = defaultdict(list)
    for line in data.lines:
        lines[line["invoice_key"]].append(line)
    notes = [i for i in data.invoices if i["kind"] == "credit_note"]
    assert notes
    for note in notes:
        original = lines[by_no[note["corrects"]]]
        given_back = lines[note["invoice_key"]]
        assert [g["description"] for g in given_back] == [f"Credit: {o['description']}" for o in original]


def test_natural_shape_draws_as_without_it():
    assert without_id(generate_sample(300, seed=9, shape=Shape())) == without_id(generate_sample(300, seed=9))
