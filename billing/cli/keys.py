"""`xlbilling keys init|export-public`: the organisation's signing key pair."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import KeyOption, err

app = typer.Typer(help="The organisation's signing key pair (Ed25519).", no_args_is_help=True)


@app.command("init")
def keys_init(key: Optional[Path] = KeyOption) -> None:
    """Create the signing key pair (private key file 0600); nothing happens if it exists."""
    from billing.sealing.keys import init_key

    signing_key, created = init_key(key)
    verb = "Created" if created else "Already there:"
    err.print(f"{verb} {signing_key.path} (key id {signing_key.key_id})", markup=False)


@app.command("export-public")
def keys_export_public(
    key: Optional[Path] = KeyOption,
    out: Optional[Path] = typer.Option(None, "--out", help="Write the public key (PEM) here instead of stdout."),
) -> None:
    """Print (or write) the public key recipients verify sealed workbooks with."""
    from billing.sealing.keys import load_key, public_pem
    from billing.atomic import write_text_atomically

    signing_key = load_key(key)
    pem = public_pem(signing_key.public).decode("ascii")
    if out is None:
        sys.stdout.write(pem)
    else:
        write_text_atomically(out, pem)
        err.print(f"Wrote the public key {signing_key.key_id} to {out}", markup=False)
