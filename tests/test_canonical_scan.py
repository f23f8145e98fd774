"""The fast scanner's own readings of cell texts (billing/sealing/canonical/scan.py): the same
lines as the element-by-element reader."""

from __future__ import annotations

import pytest

from test_canonical import by_xlsxwriter_2, fast_and_slow, rewrite_part


@pytest.mark.parametrize(("cell", "line"), [
    ('<c r="C1" t="inlineStr"><is><t>plain</t></is></c>', "C1\ts\tplain\tGeneral\t1\t"),
    ('<c r="C1" s="1" t="inlineStr"><is><t>a\tb</t></is></c>', "C1\ts\ta\\tb\t0.00\t1\t"),
    ('<c r="C1" t="inlineStr"><is><t xml:space="preserve"> two  spaces </t></is></c>',
     "C1\ts\t two  spaces \tGeneral\t1\t"),
    ('<c r="C1" t="inlineStr"><is><t>x&amp;y &gt; z</t></is></c>', "C1\ts\tx&y > z\tGeneral\t1\t"),
    ('<c r="C1" t="inlineStr"><is><t>line\r\nend</t></is></c>', "C1\ts\tline\\nend\tGeneral\t1\t"),
    ('<c r="C1" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c>', "C1\ts\trich\tGeneral\t1\t"),
    ('<c r="C1" t="inlineStr"><is><t></t></is></c>', None),
])
def test_inline_strings_are_read_alike_by_both_readers(tmp_path, monkeypatch, cell, line):
    # the close writes its output sheets with inline strings: the scanner reads the plain ones itself
    path = rewrite_part(by_xlsxwriter_2(tmp_path / "x.xlsx"), "xl/worksheets/sheet1.xml",
                        lambda x: x.replace('<c r="C1"><f>B1*19%</f><v>0.285</v></c>', cell))
    fast, slow = fast_and_slow(path, monkeypatch)
    assert fast.parts == slow.parts
    found = [c for c in fast.parts["S"].cells.splitlines() if c.startswith("C1\t")]
    assert found == ([line] if line else [])
