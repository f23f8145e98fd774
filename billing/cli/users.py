"""`xlbilling users add|remove|passwd|disable|enable|list`: the web portal's users and their roles.

A password is typed twice at a hidden prompt, or read from the first line of stdin with
`--password-stdin` (for scripts; never an option, which would show in the process list and
the shell history). There is no default password. Each change is made by `billing.access.admin`
(the functions the portal's users page calls too), which writes it to the audit log under the
operating-system user who ran the command; the last enabled admin cannot be removed or disabled.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from billing.cli.common import DbOption, JsonOption, err, print_json

app = typer.Typer(help="The web portal's users and their roles (finance, auditor, billing, admin).",
                  no_args_is_help=True)

PasswordStdinOption = typer.Option(False, "--password-stdin",
                                   help="Read the password from the first line of stdin instead of prompting.")


def read_password(from_stdin: bool) -> str:
    """The password: stdin's first line (without its line end), or typed twice, hidden."""
    from billing.errors import BadFile

    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise BadFile("--password-stdin: stdin is empty")
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


def _actor():
    """Who runs the command, as the audit log names them: the operating-system user."""
    import getpass

    from billing.access.admin import Actor

    return Actor(f"os:{getpass.getuser()}")


@app.command("add")
def users_add(
    name: str = typer.Argument(..., help="The user's name (unique, case ignored)."),
    role: str = typer.Option(..., "--role", help="finance, auditor, billing or admin."),
    password_stdin: bool = PasswordStdinOption,
    db: Optional[str] = DbOption,
) -> None:
    """Add a portal user with a role and a password (at least 12 characters)."""
    from billing.access import admin
    from billing.access.users import check_name, check_password, check_role, get_user, UserRefused
    from billing.store import open_store

    # every check comes before the password is asked for
    check_name(name)
    check_role(role)
    engine = open_store(db)
    if get_user(engine, name) is not None:
        raise UserRefused("duplicate_name", f"a user named {name.strip()!r} exists already (names ignore case)")
    user = admin.add(engine, _actor(), name, role, check_password(read_password(password_stdin)))
    err.print(f"Added {user.name} ({user.role})", markup=False)


@app.command("remove")
def users_remove(name: str = typer.Argument(..., help="The user's name."), db: Optional[str] = DbOption) -> None:
    """Remove a portal user (their audit log entries stay)."""
    from billing.access import admin
    from billing.store import open_store

    admin.remove(open_store(db), _actor(), name)
    err.print(f"Removed {name.strip()}", markup=False)


@app.command("passwd")
def users_passwd(
    name: str = typer.Argument(..., help="The user's name."),
    password_stdin: bool = PasswordStdinOption,
    db: Optional[str] = DbOption,
) -> None:
    """Set a portal user's password."""
    from billing.access import admin
    from billing.access.users import UserRefused, check_password, get_user
    from billing.store import open_store

    engine = open_store(db)
    if get_user(engine, name) is None:  # before asking for a password
        raise UserRefused("unknown_user", f"no user named {name.strip()!r}")
    admin.set_password(engine, _actor(), name, check_password(read_password(password_stdin)))
    err.print(f"Password of {name.strip()} changed", markup=False)


def _set_disabled(name: str, db: Optional[str], disabled: bool) -> None:
    from billing.access import admin
    from billing.store import open_store

    user = admin.set_disabled(open_store(db), _actor(), name, disabled)
    err.print(f"{'Disabled' if disabled else 'Enabled'} {user.name}", markup=False)


@app.command("disable")
def users_disable(name: str = typer.Argument(..., help="The user's name."), db: Optional[str] = DbOption) -> None:
    """Disable a portal user: they cannot log in, their sessions end; kept for the record."""
    _set_disabled(name, db, True)


@app.command("enable")
def users_enable(name: str = typer.Argument(..., help="The user's name."), db: Optional[str] = DbOption) -> None:
    """Enable a disabled portal user again."""
    _set_disabled(name, db, False)


@app.command("list")
def users_list(as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """The portal users, their roles and when their passwords were set."""
    from billing.access.users import list_users
    from billing.store import open_store

    found = list_users(open_store(db))
    if as_json:
        print_json({"users": [u.as_dict() for u in found]})
        return
    for u in found:
        state = "  disabled" if u.disabled else ""
        sys.stdout.write(f"{u.name}\t{u.role}\tcreated {u.created_at:%Y-%m-%d %H:%M}Z\t"
                         f"password set {u.password_changed_at:%Y-%m-%d %H:%M}Z{state}\n")
    err.print(f"{len(found)} user{'' if len(found) == 1 else 's'}", markup=False)
