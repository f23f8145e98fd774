"""Render time per invoice of billing/documents: the PDF alone and the Factur-X alone (ms), and the
README's picture of page 1 (`--png PATH`, drawn with pypdfium2: no poppler/pdftoppm needed).

    uv run python bench/bench_documents.py [-n 50] [--png docs/images/invoice.png]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing.documents.facturx import render_facturx  # noqa: E402
from billing.documents.pdf import render_pdf  # noqa: E402
from tests.shared_data import shared_set  # noqa: E402
from tests.test_documents import document  # noqa: E402


def timed(fn, n: int) -> list[float]:
    fn()  # the first one loads the fonts and the libraries
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def sample_document():
    """A German customer's invoice of the sample workbook (`xlbilling new --sample 60 --seed 1`),
    as `document_of` builds it: what the README shows is what a user's workbook gives."""
    from billing.invoicing.compute import compute
    from billing.invoicing.document import document_of
    from billing.sample import generate_sample
    from tests.tests_support import tables_of

    data = generate_sample(60, seed=1)
    tables = tables_of(data)
    computed = compute(tables)
    german = {c["customer_id"] for c in data.customers if c.get("country") == "DE" and c.get("vat_id")}
    lines = {}
    for line in data.lines:
        lines[line["invoice_key"]] = lines.get(line["invoice_key"], 0) + 1
    chosen = max((i for i in data.invoices if i["customer_id"] in german and i.get("status") == "issued"
                  and i.get("invoice_no") and i.get("kind", "invoice") == "invoice"),
                 key=lambda i: (lines.get(i["invoice_key"], 0), i["invoice_no"]))
    return document_of(tables, computed, chosen["invoice_no"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--png", type=Path)
    args = parser.parse_args()
    doc = document()
    pdf = timed(lambda: render_pdf(doc), args.n)
    print(f"PDF       {statistics.median(pdf):7.1f} ms/invoice (median of {args.n})")
    cii = shared_set("einvoices") / "en16931-examples" / "cii" / "CII_example1.xml"
    if cii.is_file():
        xml = cii.read_bytes()
        fx = timed(lambda: render_facturx(doc, xml), args.n)
        print(f"Factur-X  {statistics.median(fx):7.1f} ms/invoice (median of {args.n})")
    else:
        print(f"Factur-X  skipped: {cii} is missing")
    if args.png:
        import pypdfium2

        document_ = pypdfium2.PdfDocument(render_pdf(sample_document()))
        document_[0].render(scale=1.4).to_pil().save(args.png, format="PNG", optimize=True)
        document_.close()
        print(f"page 1 -> {args.png}")


if __name__ == "__main__":
    main()
