"""Roles and what each may do: one immutable table, asked through `may(role, action)`.

    finance   read, download, verify
    auditor   finance + audit (the numbering audit, the chain check) + export_audit
    billing   auditor + upload (a sealed workbook into the archive)
    admin     manage_users + read — and nothing else

Admin does *not* include billing's rights: managing who may log in is kept apart from
handling the books (separation of duties), so an administrator cannot download, verify,
audit or upload. A person who needs both has two accounts. An unknown role or action may
nothing.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

#: Every action the portal asks about, in the order of the role table.
ACTIONS: tuple[str, ...] = ("read", "download", "verify", "audit", "export_audit", "upload", "manage_users")

_FINANCE = frozenset({"read", "download", "verify"})
_AUDITOR = _FINANCE | {"audit", "export_audit"}
_BILLING = _AUDITOR | {"upload"}
_ADMIN = frozenset({"read", "manage_users"})

#: Role → the actions it may take (read-only: a role's rights are changed here, in code).
PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    "finance": _FINANCE,
    "auditor": _AUDITOR,
    "billing": _BILLING,
    "admin": _ADMIN,
})

#: The roles, least to most rights in the books (admin apart).
ROLES: tuple[str, ...] = tuple(PERMISSIONS)


def may(role: str, action: str) -> bool:
    """Whether `role` may take `action`; False for an unknown role or action."""
    return action in PERMISSIONS.get(role, frozenset())


def is_role(role: str) -> bool:
    return role in PERMISSIONS
