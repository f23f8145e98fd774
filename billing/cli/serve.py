"""`xlbilling serve`: the web portal over the store and the archive (`billing.web`).

uvicorn is started here, in the process, on loopback by default: put a reverse proxy with
TLS in front of it to serve a team (`--proxy`). The session secret comes from `XLBILLING_WEB_SECRET`;
without it a random one is made per start, so every session ends when the portal restarts.
Seals are verified (and uploads accepted) with the public keys of `--public-key FILE` (as
often as there are sealers' keys), else the public key of the local signing key; with none,
the portal starts and its verify page says it cannot check seals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import ArchiveOption, BadFile, DbOption, KeyOption, err


def serve(host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on (loopback by default)."),
          port: int = typer.Option(8080, "--port", min=1, max=65535, help="The port to listen on."),
          proxy: bool = typer.Option(False, "--proxy", help="Behind a TLS reverse proxy on this machine: cookies "
                                     "only over HTTPS, the client's address from the proxy's X-Forwarded-For."),
          public_key: Optional[list[Path]] = typer.Option(
              None, "--public-key", help="A sealer's public key (PEM) seals are verified with; repeat it for "
              "several keys (default: the public key of the local signing key)."),
          key: Optional[Path] = KeyOption,
          db: Optional[str] = DbOption, archive: Optional[Path] = ArchiveOption) -> None:
    """Serve the web portal: the archive of sealed workbooks for finance and auditors."""
    import secrets

    import uvicorn

    from billing.config import ENV_WEB_SECRET, archive_dir, web_secret
    from billing.store import open_store
    from billing.web.app import create_app

    engine = open_store(db)
    secret = web_secret()
    if secret is None:
        secret = secrets.token_urlsafe(32)
        err.print(f"{ENV_WEB_SECRET} is not set: a random session secret is used, so sessions end when the portal "
                  "restarts", markup=False)
    app = create_app(engine, archive_dir(archive, db), secret, https_only=proxy,
                     public_keys=_public_keys(public_key or [], key))
    err.print(f"Serving the portal on http://{host}:{port}/ (Ctrl+C stops it)", markup=False)
    # behind the proxy, the address throttled and audit-logged is the client's, as the proxy on
    # loopback (and only it) reports it; otherwise forwarded headers are not believed
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=proxy, forwarded_allow_ips="127.0.0.1",
                server_header=False)


def _public_keys(files: list[Path], key: Optional[Path]) -> tuple:
    """The trusted public keys: the files given (an unusable one stops the start), else the
    local signing key's when there is one (else none, and a warning)."""
    from billing.config import key_path
    from billing.sealing.keys import key_id, trusted_keys

    if files:
        keys = trusted_keys(files)
    elif key_path(key).exists():
        try:
            keys = trusted_keys(key=key)
        except BadFile as exc:
            err.print(f"xlbilling: no public key to verify seals with ({exc})", markup=False)
            return ()
    else:
        err.print("xlbilling: no public key to verify seals with: give the sealers' keys with --public-key FILE; "
                  "until then the verify and upload pages say they cannot check seals", markup=False)
        return ()
    err.print(f"Verifying seals with key {', '.join(key_id(k) for k in keys)}", markup=False)
    return keys
