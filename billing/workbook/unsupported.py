"""The writers' refusal lives in `billing.changes` (`Unsupported`, `DoesNotFit`), with the rest of
the writer contract; this old import path names the same class."""

from billing.changes import DoesNotFit  # noqa: F401
