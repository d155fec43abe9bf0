"""Downloading data files safely: checksum verified, written to a temporary file that is
renamed into place only when complete and correct, so an interrupted or corrupted
download never leaves a file that would later load as data."""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """No mirror delivered a complete file with the expected checksum."""


def md5sum(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, path: Path, md5: Optional[str], timeout: float) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        h = hashlib.md5(usedforsecurity=False)
        size = 0
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            for chunk in iter(lambda: response.read(CHUNK), b""):
                f.write(chunk)
                h.update(chunk)
                size += len(chunk)
        if expected is not None and size != int(expected):
            raise DownloadError(f"truncated transfer: got {size} of {expected} bytes")
        if md5 is not None and h.hexdigest() != md5:
            raise DownloadError(f"checksum mismatch: MD5 {h.hexdigest()}, expected {md5}")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def download(urls: Sequence[str], path: Path, md5: Optional[str] = None, timeout: float = 60) -> Path:
    """Fetch `path` from the first of `urls` that delivers it whole with the right MD5."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    failures: List[str] = []
    for url in urls:
        try:
            _fetch(url, path, md5, timeout)
            return path
        except Exception as e:  # network errors, HTTP errors, incomplete reads, bad checksums: try the next
            failures.append(f"  {url}: {type(e).__name__}: {e}")
    raise DownloadError(f"could not download {path.name}:\n" + "\n".join(failures) +
                        f"\nIf this machine is offline, download the file elsewhere and put it at {path}")


__all__ = ["DownloadError", "download", "md5sum"]
