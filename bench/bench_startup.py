"""Start-up of the Excel side, each in a fresh Python process, measured side by side.

Excel starts Python for the worksheet functions and for every ribbon click, so what counts
is a fresh interpreter: `python -c "import xlwings"` is the yardstick (xlwings itself
imports pandas), and the goals are

* `import udfs` ≤ 1.15× the yardstick;
* the first `XLB_TAX` result ≤ 1.25×;
* a ribbon click until its first read of the workbook ≤ 1.3× (the macro's imports and
  set-up up to the moment it asks the workbook for its sheets; a stand-in book answers).

Runs are interleaved (yardstick, then each case, repeated) so machine noise hits all alike;
the best of N is reported.

    uv run python bench/bench_startup.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CLICK = """
import xlwings  # a click starts here: RunPython imports xlwings, whose Book.caller() finds the workbook
class FirstRead(BaseException):
    pass
class App:
    def __setattr__(self, name, value):  # the status bar
        object.__setattr__(self, name, value)
    @property
    def api(self):
        raise FirstRead
class Book:
    name = fullname = "book.xlsx"
    app = App()
    @property
    def sheets(self):
        raise FirstRead
import macros
try:
    macros.run_button("xlbValidate", Book())
except FirstRead:
    pass
"""

CASES = {
    "import xlwings (yardstick)": "import xlwings",
    "import udfs": "import udfs",
    "first XLB_TAX result": "import udfs; assert udfs.XLB_TAX(100, 0.19) is not None",
    "ribbon click until its first read": CLICK,
}
GOALS = {"import udfs": 1.15, "first XLB_TAX result": 1.25, "ribbon click until its first read": 1.3}


def seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - started


def main(rounds: int = 7) -> None:
    best = {name: float("inf") for name in CASES}
    for name, code in CASES.items():  # warm the file cache once
        seconds(code)
    for _ in range(rounds):
        for name, code in CASES.items():
            best[name] = min(best[name], seconds(code))
    yardstick = best["import xlwings (yardstick)"]
    print(f"{'fresh process':40} {'best of ' + str(rounds):>12} {'× yardstick':>12} {'goal':>6}")
    for name, value in best.items():
        goal = GOALS.get(name)
        verdict = "" if goal is None else ("ok" if value / yardstick <= goal else "MISSED")
        print(f"{name:40} {value:10.3f} s {value / yardstick:11.2f}× {('≤ %.2f' % goal) if goal else '':>6} {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
