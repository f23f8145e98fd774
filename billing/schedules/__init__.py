"""Billing schedules: the pure rules of recurring billing (ISSUE 19).

`records` — the contract lines, usage, tiers and the parsers of the `period` and
`price_change` cells; `periods` — a line's billing periods (anchors clamped to the month's
end, the stub, the end date); `proration` — the exact fraction of a partial period and its
rule text; `pricing` — yearly % steps, index clauses, usage tiers; `billing` — what a month
bills (`bill_month`) and the calendar of the months ahead (`plan`).
"""
