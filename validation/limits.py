"""At most `PER_RULE` findings of one rule in one column: the rest are counted, not listed.

A column formatted wrongly on a million rows is one problem, not a million: listing each
cell made `validate` take 44 s and `close` write a million marks. So the first `PER_RULE`
findings of a rule in a column (in the order the rules find them: row order) are kept, and
one more finding at the column's header cell says how many more there are:
`Payments!B1: … and 999,900 more in column B (1,000,000 in all; the first 100 are listed)
(invalid_date)`. (Once a column is full, the row models count its remaining failures in bulk,
under the rule that filled it: `validation.rows`.)
Findings about whole rows (`Payments!7:7`) are counted per rule and sheet. The cap holds for
every consumer of the findings: the printed list, `--json`, the Validation sheet and the marks.

`Limit.admit` is asked before a finding is made, so that the row models skip the work of
describing the cells beyond the cap (`validation.rows`); `Limit.keep` filters findings made
by the other rules; `Limit.summaries` gives the count findings.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from billing.cells import quote_sheet, split_ref
from billing.errors import Finding

PER_RULE = 100


class Limit:
    """Counts findings per (sheet, column letters, rule); `header_rows` places the summaries."""

    def __init__(self, header_rows: Mapping[str, int], per_rule: int = PER_RULE):
        self.per_rule = per_rule
        self.header_rows = dict(header_rows)
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.severity: dict[tuple[str, str, str], str] = {}

    def admit(self, sheet: str, letters: str, rule: str, severity: str = "error", count: int = 1) -> bool:
        """Count `count` findings of a group; True while the group is within the cap."""
        key = (sheet, letters, rule)
        self.counts[key] += count
        if self.counts[key] > self.per_rule:
            self.severity.setdefault(key, severity)
        return self.counts[key] <= self.per_rule

    def keep(self, findings: Iterable[Finding]) -> list[Finding]:
        kept = []
        for finding in findings:
            sheet, address = split_ref(finding.cell)
            letters = "" if ":" in address else address.rstrip("0123456789")
            if self.admit(sheet, letters, finding.rule, finding.severity):
                kept.append(finding)
        return kept

    def summaries(self) -> list[Finding]:
        found = []
        for key, count in self.counts.items():
            if count <= self.per_rule:
                continue
            sheet, letters, rule = key
            row = self.header_rows.get(sheet, 1)
            more = count - self.per_rule
            if letters:
                where, place = f"column {letters}", f"{letters}{row}"
            else:
                where, place = sheet, f"{row}:{row}"
            found.append(Finding(self.severity[key], f"{quote_sheet(sheet)}!{place}", rule,
                                 f"… and {more:,} more in {where} ({count:,} in all; "
                                 f"the first {self.per_rule} are listed)"))
        return found
