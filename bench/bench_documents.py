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

        document_ = pypdfium2.PdfDocument(render_pdf(doc))
        document_[0].render(scale=1.4).to_pil().save(args.png, format="PNG", optimize=True)
        document_.close()
        print(f"page 1 -> {args.png}")


if __name__ == "__main__":
    main()
