"""The portal's users: a name, a role, an Argon2 hash of the password, never the password.

Rules:
- a name is 1–100 printable characters, unique regardless of case (`Alice` and `alice` are
  one user); leading and trailing spaces are not part of it;
- the role is one of `billing.access.roles.ROLES`;
- a password has at least `MIN_PASSWORD_LENGTH` (12) characters and at most 1024; there is
  no default password: a user is added with one;
- hashes are Argon2id (argon2-cffi's `PasswordHasher`, parameters of RFC 9106's low-memory
  profile), each with its own salt, so two users with one password have different hashes;
  when the parameters are raised, a user's hash is renewed at the next successful login;
- `authenticate` spends the same work on an unknown or disabled user (a dummy hash is
  verified) as on a known one, so the answer's time does not tell which names exist;
- the last user who may manage users (an enabled `admin`) cannot be removed or disabled,
  from the portal or the command line: somebody must be left to manage the users. (A store
  that never had an admin is not blocked by this; `xlbilling users add` makes one.)

A refusal is a `UserRefused` (a `BadFile`: one line for the command line) with a `code`
for the web app; `password_problem` gives the same message as a value before anything is
tried.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from billing.access.clock import Clock, parse, stamp, utc_now
from billing.access.roles import ROLES, is_role, may
from billing.errors import BadFile
from billing.store import users as users_table

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # Argon2 takes any length; a bound keeps a request from being a load test
MAX_NAME_LENGTH = 100

#: The hasher of new hashes (argon2-cffi's defaults: Argon2id, t=3, m=64 MiB, p=4).
HASHER = PasswordHasher()


class UserRefused(BadFile):
    """A user operation refused: `code` names the reason (`bad_name`, `unknown_role`,
    `password_too_short`, `password_too_long`, `password_mismatch`, `duplicate_name`, `unknown_user`,
    `last_admin`, `self`)."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class User:
    """A user as the rest of the program sees one: no hash."""

    name: str
    role: str
    created_at: datetime
    password_changed_at: datetime
    disabled: bool

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "created_at": self.created_at.isoformat(),
                "password_changed_at": self.password_changed_at.isoformat(), "disabled": self.disabled}


def name_key(name: str) -> str:
    """The form names are compared in: NFKC, case-folded, without surrounding spaces."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a user's name, or None."""
    name = name.strip()
    if not name:
        return "a user name cannot be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"a user name has at most {MAX_NAME_LENGTH} characters"
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "a user name cannot contain control characters"
    return None


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used, or None (the rule only: length)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters (this one has {len(password)})"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    return None


def check_name(name: str) -> str:
    """`name` without surrounding spaces; `UserRefused` (`bad_name`) if it cannot be a name."""
    problem = name_problem(name)
    if problem:
        raise UserRefused("bad_name", problem)
    return name.strip()


def check_role(role: str) -> str:
    """`role`; `UserRefused` (`unknown_role`) if it is none of `ROLES`."""
    if not is_role(role):
        raise UserRefused("unknown_role", f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    """`password`; `UserRefused` (`password_too_short`, `password_too_long`) if it breaks the rule."""
    problem = password_problem(password)
    if problem:
        raise UserRefused("password_too_short" if len(password) < MIN_PASSWORD_LENGTH else "password_too_long",
                          problem)
    return password


def check_confirmed(password: str, again: str) -> str:
    """`password` when it was typed the same twice; `UserRefused` (`password_mismatch`) if not."""
    if password != again:
        raise UserRefused("password_mismatch", "the two passwords differ; type the same one twice")
    return password


#: The roles whose users manage the users: one of them, enabled, must always be left.
MANAGERS: tuple[str, ...] = tuple(role for role in ROLES if may(role, "manage_users"))


def _keep_a_manager(conn, key: str) -> None:
    """Refuse (`last_admin`) taking away the user `key` when they are the last enabled manager.
    The managers' rows are locked (FOR UPDATE on PostgreSQL; SQLite's write transaction is
    exclusive already), so two admins disabling each other at once cannot leave none."""
    managers = conn.execute(select(users_table.c.name_key, users_table.c.name)
                            .where(users_table.c.role.in_(MANAGERS), users_table.c.disabled.is_(False))
                            .with_for_update()).all()
    if [row.name_key for row in managers] == [key]:
        raise UserRefused("last_admin", f"{managers[0].name!r} is the last enabled admin: add or enable "
                                        "another admin first, so somebody can still manage the users")


def _user(row) -> User:
    return User(row.name, row.role, parse(row.created_at), parse(row.password_changed_at), bool(row.disabled))


def add_user(engine: Engine, name: str, role: str, password: str, *, hasher: PasswordHasher = HASHER,
             clock: Clock = utc_now) -> User:
    """Add a user; refused (`UserRefused`) for a bad name, an unknown role, a short password
    or a name already taken in any case."""
    check_name(name)
    check_role(role)
    hashed = hasher.hash(check_password(password))
    now = clock()
    values = {"name": name.strip(), "name_key": name_key(name), "role": role, "password_hash": hashed,
              "created_at": stamp(now), "password_changed_at": stamp(now), "disabled": False}
    try:
        with engine.begin() as conn:
            conn.execute(users_table.insert().values(**values))
    except IntegrityError:
        raise UserRefused("duplicate_name", f"a user named {name.strip()!r} exists already (names ignore case)") \
            from None
    return User(name.strip(), role, parse(values["created_at"]), parse(values["created_at"]), False)


def _unknown(name: str) -> UserRefused:
    return UserRefused("unknown_user", f"no user named {name.strip()!r}")


def remove_user(engine: Engine, name: str) -> User:
    """Remove a user (their audit log entries stay) and return them as they were; refused for
    an unknown name and for the last enabled admin."""
    with engine.begin() as conn:
        row = conn.execute(select(users_table).where(users_table.c.name_key == name_key(name))).first()
        if row is None:
            raise _unknown(name)
        _keep_a_manager(conn, row.name_key)
        conn.execute(users_table.delete().where(users_table.c.id == row.id))
    return _user(row)


def set_password(engine: Engine, name: str, password: str, *, hasher: PasswordHasher = HASHER,
                 clock: Clock = utc_now) -> None:
    """Give a user a new password; refused for an unknown name or a short password."""
    hashed = hasher.hash(check_password(password))
    with engine.begin() as conn:
        done = conn.execute(users_table.update().where(users_table.c.name_key == name_key(name))
                            .values(password_hash=hashed, password_changed_at=stamp(clock())))
        if done.rowcount == 0:
            raise _unknown(name)


def set_disabled(engine: Engine, name: str, disabled: bool) -> None:
    """Disable a user (they can no longer log in; kept for the record) or enable them again;
    refused for an unknown name and for disabling the last enabled admin."""
    with engine.begin() as conn:
        if disabled:
            _keep_a_manager(conn, name_key(name))
        done = conn.execute(users_table.update().where(users_table.c.name_key == name_key(name))
                            .values(disabled=disabled))
        if done.rowcount == 0:
            raise _unknown(name)


def get_user(engine: Engine, name: str) -> User | None:
    with engine.connect().execution_options(read_only=True) as conn:
        row = conn.execute(select(users_table).where(users_table.c.name_key == name_key(name))).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    """Every user, by name (case-insensitively)."""
    with engine.connect().execution_options(read_only=True) as conn:
        rows = conn.execute(select(users_table).order_by(users_table.c.name_key)).all()
    return [_user(r) for r in rows]


_dummy_hashes: dict[tuple, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a password no one has, made with `hasher`'s parameters (once per parameters)."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len, hasher.type)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("not the password of anyone: a dummy for timing")
    return _dummy_hashes[key]


def authenticate(engine: Engine, name: str, password: str, *, hasher: PasswordHasher = HASHER) -> User | None:
    """The user `name` when `password` is theirs and they are not disabled; None otherwise
    (unknown, wrong, disabled — not told apart). A hash made with older parameters is
    replaced by one made with `hasher`'s."""
    with engine.connect().execution_options(read_only=True) as conn:
        row = conn.execute(select(users_table).where(users_table.c.name_key == name_key(name))).first()
    if row is None or row.disabled or len(password) > MAX_PASSWORD_LENGTH:
        _verify(hasher, _dummy_hash(hasher), password[:MAX_PASSWORD_LENGTH])
        return None
    if not _verify(hasher, row.password_hash, password):
        return None
    if hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:  # only if nobody changed the password meanwhile
            conn.execute(users_table.update().where(users_table.c.id == row.id,
                                                    users_table.c.password_hash == row.password_hash)
                         .values(password_hash=hasher.hash(password)))
    return _user(row)


def _verify(hasher: PasswordHasher, hashed: str, password: str) -> bool:
    try:
        return hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def count_users(engine: Engine) -> int:
    with engine.connect().execution_options(read_only=True) as conn:
        return conn.execute(select(func.count()).select_from(users_table)).scalar_one()
