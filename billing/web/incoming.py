"""Files arriving with a form: a `multipart/form-data` body streamed into a private folder,
with a size cap, the CSRF token checked before any file is taken.

The rules:

* The whole body may be at most `limit` bytes (plus `SLACK` for the form's other fields and
  the multipart framing). A `Content-Length` above that is refused before a byte is read;
  a body that turns out longer (no or a false `Content-Length`, chunked) is refused as soon
  as it passes the cap. Either way `TooLarge`.
* Only the file fields the route names are taken, each into `folder/<field name>` (created
  0600, never replacing anything): what the browser calls the file is kept as text to show
  and log, never used as a path. Any other file field, more than `MAX_PARTS` parts, or a
  text field over `MAX_FIELD` bytes is `BadForm`. A file input left empty (no name, no bytes)
  counts as not sent.
* The form must carry the session's CSRF token before its first file (our forms put it first,
  and browsers send fields in page order): otherwise `NoToken`, before a file byte is written.

The caller owns `folder` (a fresh private directory) and removes it whatever happens; a file
half written when an error stops the upload is closed here and lies in that folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

#: Bytes a body may have beyond the files' cap: the CSRF field, the part headers, the boundaries.
SLACK = 64 * 1024
#: The most parts a form may have (ours have three).
MAX_PARTS = 8
#: The most bytes of one text field (the CSRF token is 43).
MAX_FIELD = 4096


class TooLarge(Exception):
    """The body is bigger than the cap."""


class BadForm(Exception):
    """The body is not the form the page sent; `str()` says why."""


class NoToken(Exception):
    """The form did not bring the session's CSRF token before its files."""


class Received(NamedTuple):
    """A file that arrived: the name the browser gave (text only), where it is now, its size and SHA-256."""

    name: str
    path: Path
    size: int
    sha256: str


class Form(NamedTuple):
    """The text fields and the files of a form."""

    fields: dict[str, str]
    files: dict[str, Received]


def client_file_name(raw: str) -> str:
    """The file's own name as the browser sent it, for showing and logging: the last part of
    a path some browsers send whole, without control characters, at most 200 characters.

    >>> client_file_name('C:\\\\Users\\\\ann\\\\Billing 2026-10.xlsx'), client_file_name('a\\nb.xlsx')
    ('Billing 2026-10.xlsx', 'ab.xlsx')
    """
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:200]


def too_long(request: Request, limit: int) -> bool:
    """Whether the request says (`Content-Length`) it brings more than the cap allows."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit + SLACK


async def receive(request: Request, folder: Path, limit: int, file_fields: tuple[str, ...],
                  token_ok: Callable[[str | None], bool]) -> Form:
    """Read the request's multipart form into `folder` under the rules above. `token_ok` says
    whether a CSRF token is the session's."""
    if too_long(request, limit):
        raise TooLarge()
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise BadForm("this is not a file upload form (multipart/form-data)")
    state = _State(folder, file_fields, token_ok)
    parser = MultipartParser(options[b"boundary"], state.callbacks())
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit + SLACK:
                raise TooLarge()
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise BadForm(f"the form's body is malformed ({str(exc)[:120]})") from None
    finally:
        state.close()
    if not state.ended:
        raise BadForm("the form's body ended before its last part")
    if not token_ok(state.fields.get("csrf")):
        raise NoToken()
    return Form(state.fields, state.files)


class _State:
    """The parser's callbacks: one part at a time, a file into its own file in `folder`."""

    def __init__(self, folder: Path, file_fields: tuple[str, ...], token_ok: Callable[[str | None], bool]):
        self.folder, self.file_fields, self.token_ok = folder, file_fields, token_ok
        self.fields: dict[str, str] = {}
        self.files: dict[str, Received] = {}
        self.parts = 0
        self.ended = False
        self._header, self._value = b"", b""
        self._disposition = b""
        self._name, self._file_name = "", None
        self._data = bytearray()
        self._fd: int | None = None
        self._size, self._digest = 0, hashlib.sha256()

    def callbacks(self) -> Mapping:
        return {"on_part_begin": self.begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.data,
                "on_part_end": self.end, "on_end": self.finished}

    def begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise BadForm(f"the form has more than {MAX_PARTS} parts")
        self._disposition, self._name, self._file_name = b"", "", None
        self._data = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise BadForm("a part of the form has no name")
        self._name = options[b"name"].decode("utf-8", "replace")
        if b"filename" not in options:
            return
        if self._name not in self.file_fields or self._name in self.files:
            raise BadForm(f"the form sends a file in a field it does not have ({self._name[:40]!r})")
        if not self.token_ok(self.fields.get("csrf")):
            raise NoToken()
        self._file_name = client_file_name(options[b"filename"].decode("utf-8", "replace"))
        self._fd = os.open(self.folder / self._name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._size, self._digest = 0, hashlib.sha256()

    def data(self, data: bytes, start: int, end: int) -> None:
        if self._fd is not None:
            chunk = data[start:end]
            self._size += len(chunk)
            self._digest.update(chunk)
            view = memoryview(chunk)
            while view:  # page-cache writes: short, so done here rather than a thread hop a chunk
                view = view[os.write(self._fd, view):]
        elif self._file_name is None:
            self._data += data[start:end]
            if len(self._data) > MAX_FIELD:
                raise BadForm(f"the form's field {self._name[:40]!r} is too long")

    def end(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            if self._file_name or self._size:  # an empty file input: nothing was chosen
                self.files[self._name] = Received(self._file_name, self.folder / self._name, self._size,
                                                  self._digest.hexdigest())
        elif self._file_name is None:
            self.fields[self._name] = self._data.decode("utf-8", "replace")

    def finished(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
