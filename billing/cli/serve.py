"""`xlbilling serve`: the web portal over the store and the archive (`billing.web`).

uvicorn is started here, in the process, on loopback by default: put a reverse proxy with
TLS in front of it to serve a team (`--proxy`). The session secret comes from `XLBILLING_WEB_SECRET`;
without it a random one is made per start, so every session ends when the portal restarts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import ArchiveOption, DbOption, err


def serve(host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on (loopback by default)."),
          port: int = typer.Option(8080, "--port", min=1, max=65535, help="The port to listen on."),
          proxy: bool = typer.Option(False, "--proxy", help="Behind a TLS reverse proxy on this machine: cookies "
                                     "only over HTTPS, the client's address from the proxy's X-Forwarded-For."),
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
    app = create_app(engine, archive_dir(archive, db), secret, https_only=proxy)
    err.print(f"Serving the portal on http://{host}:{port}/ (Ctrl+C stops it)", markup=False)
    # behind the proxy, the address throttled and audit-logged is the client's, as the proxy on
    # loopback (and only it) reports it; otherwise forwarded headers are not believed
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=proxy, forwarded_allow_ips="127.0.0.1",
                server_header=False)
