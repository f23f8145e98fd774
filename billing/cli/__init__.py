"""The `xlbilling` command line: the stable interface scripts rely on.

Every command that works on a workbook takes its path first. `--json` prints exactly one
JSON document on stdout. Exit codes: 0 success, 1 the data is invalid or a check failed
(the result is still printed), 2 the file or the arguments cannot be used (one line on
stderr, never a traceback; set XLBILLING_DEBUG=1 to see one).

One command per module (`billing/cli/<command>.py`, shared parts in `billing.cli.common`);
this module makes the app, registers them and maps every failure to its exit code. No
command module imports this one, so each imports on its own.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from billing.cli import (addin, aging, archive, bill, close, compute, demo, issue, keys, match, new, number, numbers,
                         remind, seal, send, serve, statements, users, validate, verify)
from billing import config
from billing.cli.common import Exit, err
from billing.errors import BadFile, one_line

app = typer.Typer(
    name="xlbilling",
    help="Excel billing desk: validate, number, compute, match, age, close, issue, remind, bill, send and seal billing workbooks.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# in the order `xlbilling --help` lists them
app.command("new")(new.new)
app.command("validate")(validate.validate)
app.command("compute")(compute.compute)
app.command("number")(number.number)
app.command("match")(match.match)
app.command("aging")(aging.aging)
app.command("statements")(statements.statements)
app.command("close")(close.close)
app.command("issue")(issue.issue)
app.command("remind")(remind.remind)
app.command("bill")(bill.bill)
app.command("send")(send.send)
app.add_typer(numbers.app, name="numbers")
app.command("demo")(demo.demo)
app.command("seal")(seal.seal)
app.command("verify")(verify.verify)
app.add_typer(keys.app, name="keys")
app.add_typer(archive.app, name="archive")
app.add_typer(users.app, name="users")
app.add_typer(addin.app, name="addin")
app.command("serve")(serve.serve)


def os_problem(exc: OSError) -> str:
    """One line for a failure of the machine rather than of the data (disk full, no
    permission): what happened and to which file. Every write is atomic, so the
    workbook is as it was."""
    import errno

    what = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied"}.get(exc.errno or 0) or one_line(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{what}{where}; files being written were left as they were"


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: run the app, turning every failure into a one-line reason and an exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="xlbilling", standalone_mode=False)
        code = 0
    except Exit as done:
        code = done.code
    except BadFile as exc:
        err.print(f"xlbilling: {exc}", markup=False)
        code = 2
    except typer.Exit as done:
        code = done.exit_code
    except OSError as exc:
        err.print(f"xlbilling: {os_problem(exc)}", markup=False)
        code = 2
    except (typer.Abort, KeyboardInterrupt):
        err.print("xlbilling: aborted", markup=False)
        code = 2
    except Exception as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            # a usage error of the command-line parser (typer vendors click; its
            # exception classes are not public, their interface is)
            err.print(f"xlbilling: {' '.join(exc.format_message().split())}", markup=False)
            code = 2
        elif config.debug():
            raise
        else:  # a bug: still one line for the user, the traceback on request
            err.print(f"xlbilling: internal error: {type(exc).__name__}: {one_line(str(exc), 300)}"
                      " (set XLBILLING_DEBUG=1 for details)", markup=False)
            code = 2
    sys.exit(code)
