"""The benchmark book made apart: `bench/books.py`'s `big_book(invoices)`, made if not cached
in a process of its own. A child's peak memory (`ru_maxrss`) starts from what its parent holds
when it forks, so a benchmark that measures its children's peaks must hold neither the
generator's data nor its imports; this module imports nothing of the project.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def big_book_made_apart(invoices: int) -> Path:
    """The path of the cached benchmark book with `invoices` invoices (made first if needed)."""
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("books.py")), str(invoices)], check=True,
                          stdout=subprocess.PIPE, text=True)
    return Path(done.stdout.splitlines()[-1])
