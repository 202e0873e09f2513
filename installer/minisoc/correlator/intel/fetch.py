"""Bounded reads of intel over HTTP(S) or from files: timeouts and size caps, errors as IntelError."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import requests

from minisoc.errors import IntelError

DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # one feed event or intel file; a decompression bomb stops here
DEFAULT_TIMEOUT_S = 30.0
_UTF8_BOM = b"\xef\xbb\xbf"


class IntelFileMissing(IntelError):
    """The file is not there (no such local file, HTTP 404 or 410): a feed skips such an event and counts it;
    anywhere else it is an IntelError like any other."""


def without_bom(data: bytes) -> bytes:
    """`data` without the UTF-8 byte order mark some editors and Windows tools put first: JSON parsers refuse
    it, and it would glue itself to the first intel line's header or indicator."""
    return data[3:] if data[:3] == _UTF8_BOM else data


class HttpFetcher:
    """GETs with one session, a timeout and a size cap; counts requests (tests check incremental fetches)."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, max_bytes: int = DEFAULT_MAX_BYTES,
                 verify: bool | str = True, headers: dict[str, str] | None = None) -> None:
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.verify = verify
        self.requests_made = 0

    def get(self, url: str) -> bytes:
        self.requests_made += 1
        try:
            with self.session.get(url, timeout=self.timeout_s, stream=True, verify=self.verify) as response:
                if response.status_code in (404, 410):
                    raise IntelFileMissing(f"{url}: HTTP {response.status_code}",
                                           "check the feed URL and that the server publishes this file")
                if response.status_code != 200:
                    raise IntelError(f"{url}: HTTP {response.status_code}",
                                     "check the feed URL and that the server publishes this file")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(chunk_size=1 << 16):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise IntelError(f"{url}: larger than {self.max_bytes} bytes",
                                         "the feed file is too big (or a decompression bomb)")
                    chunks.append(chunk)
                return without_bom(b"".join(chunks))
        except requests.RequestException as error:
            raise IntelError(f"{url}: {type(error).__name__}",
                             "check that the feed server is reachable") from None

    def close(self) -> None:
        self.session.close()


def read_file_chunks(path: Path, head_bytes: int, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[bytes]:
    """The file's bytes as `read_file_bytes` gives them (BOM dropped, the same errors), read `head_bytes` at a
    time, so a caller that reads it in blocks never holds it whole."""
    try:
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size > max_bytes:
                raise IntelError(f"{path}: larger than {max_bytes} bytes", "split the intel file")
            first, size = without_bom(handle.read(head_bytes)), 0
            for chunk in chain([first], iter(lambda: handle.read(head_bytes), b"")):
                size += len(chunk)
                if size > max_bytes:  # it grew while being read
                    raise IntelError(f"{path}: larger than {max_bytes} bytes", "split the intel file")
                yield chunk
    except FileNotFoundError as error:
        raise IntelFileMissing(f"{path}: cannot read ({error.strerror or error})",
                               "check the path and its permissions") from None
    except OSError as error:
        raise IntelError(f"{path}: cannot read ({error.strerror or error})",
                         "check the path and its permissions") from None


def read_file_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as error:
        raise IntelFileMissing(f"{path}: cannot read ({error.strerror or error})",
                               "check the path and its permissions") from None
    except OSError as error:
        raise IntelError(f"{path}: cannot read ({error.strerror or error})",
                         "check the path and its permissions") from None
    if len(data) > max_bytes:
        raise IntelError(f"{path}: larger than {max_bytes} bytes", "split the intel file")
    return without_bom(data)
