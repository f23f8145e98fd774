"""The command line, killed at a chosen call: a SIGKILL at a deterministic point, for the
crash tests (`tests/test_issue_crash.py`). Nothing in the product knows about it.

    python tests/kill_runner.py MODULE:NAME WHEN N MATCH -- XLBILLING ARGS...

`MODULE:NAME` is the function to wrap (`NAME` may be `Class.method`); `WHEN` is `before`
(the Nth counted call is killed before it runs) or `after` (once it has returned); only
calls whose arguments, as text, contain `MATCH` are counted (`-` counts every call).
The process kills itself with SIGKILL: no `finally`, no `atexit`, no flush runs.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def wrap(target: str, when: str, n: int, match: str) -> None:
    module_name, _, attr = target.partition(":")
    *owners, name = attr.split(".")
    owner = importlib.import_module(module_name)
    for part in owners:
        owner = getattr(owner, part)
    inner = getattr(owner, name)
    calls = 0

    def killing(*args, **kwargs):
        nonlocal calls
        if match == "-" or match in repr((args, kwargs)):
            calls += 1
            hit = calls == n
        else:
            hit = False
        if hit and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = inner(*args, **kwargs)
        if hit and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, killing)


if __name__ == "__main__":
    target, when, count, match, dashes, *args = sys.argv[1:]
    assert dashes == "--" and when in ("before", "after"), sys.argv
    wrap(target, when, int(count), match)
    from billing.cli import main

    main(args)
