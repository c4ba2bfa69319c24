"""Fetching dataset files from mirrors: retries, progress bar, checksum, atomic writes.

A *mirror* is a URL prefix (``https://host/path/``, ``file:///dir``) or a local folder. The
environment variable ``CHAINRULE_DATA_MIRROR`` names one more, tried before the built-in list,
so offline machines and CI can point at a local copy.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence

__all__ = [
    "DownloadError",
    "atomic_write",
    "default_root",
    "fetch",
    "mirrors_with_env",
    "progress_bar",
]

MIRROR_ENV = "CHAINRULE_DATA_MIRROR"
ROOT_ENV = "CHAINRULE_DATA_DIR"
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """No mirror could provide a valid copy of a file."""


class _Retryable(Exception):
    """A failure worth another attempt at the same mirror (timeouts, 5xx, cut connections)."""


def default_root() -> str:
    """Where datasets live by default: ``$CHAINRULE_DATA_DIR`` or ``~/.chainrule/datasets``.

    Example:
        >>> isinstance(default_root(), str)
        True
    """
    return os.path.expanduser(os.environ.get(ROOT_ENV) or os.path.join("~", ".chainrule",
                                                                        "datasets"))


def mirrors_with_env(mirrors: Sequence[str]) -> list[str]:
    """``$CHAINRULE_DATA_MIRROR`` (when set) followed by ``mirrors``."""
    env = os.environ.get(MIRROR_ENV, "").strip()
    return ([env] if env else []) + [m for m in mirrors if m != env]


def _is_url(mirror: str) -> bool:
    return urllib.parse.urlsplit(mirror).scheme in ("http", "https", "ftp")


def atomic_write(path: str, data) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename, so
    readers never see a partial file and a failure leaves no file behind."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class _SimpleBar:
    """A dependency-free progress bar on stderr (used when tqdm is not installed)."""

    def __init__(self, total: int | None, desc: str) -> None:
        self.total, self.desc, self.n, self.last = total, desc, 0, 0.0
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        if not self.tty:
            sys.stderr.write(f"{desc}: downloading"
                             f"{f' {total / 1e6:.1f} MB' if total else ''}...\n")

    def update(self, n: int) -> None:
        self.n += n
        now = time.monotonic()
        if self.tty and (now - self.last > 0.1 or self.n == self.total):
            self.last = now
            if self.total:
                frac = self.n / self.total
                bar = "#" * int(30 * frac)
                sys.stderr.write(f"\r{self.desc}: {bar:<30} {100 * frac:5.1f}% "
                                 f"{self.n / 1e6:.1f}/{self.total / 1e6:.1f} MB")
            else:
                sys.stderr.write(f"\r{self.desc}: {self.n / 1e6:.1f} MB")
            sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def progress_bar(total: int | None, desc: str):
    """A tqdm bar when tqdm is installed, else a simple one (both have update/close)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _SimpleBar(total, desc)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                leave=False)


def _http_get(url: str, progress: bool, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "chainrule"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            bar = progress_bar(total, os.path.basename(urllib.parse.urlsplit(url).path)) \
                if progress else None
            chunks, got = [], 0
            try:
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise _Retryable(f"HTTP {exc.code} {exc.reason}") from None
        raise OSError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError, ConnectionResetError)):
            raise _Retryable(str(exc.reason)) from None
        raise OSError(str(exc.reason)) from None
    except (TimeoutError, ConnectionResetError, ConnectionAbortedError) as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - e.g. http.client.IncompleteRead
        raise _Retryable(f"{type(exc).__name__}: {exc}") from None
    if total is not None and got != total:
        raise _Retryable(f"connection closed after {got} of {total} bytes")
    return b"".join(chunks)


def _local_candidates(folder: str, names: Sequence[str], subdirs: Sequence[str]) -> list[str]:
    return [os.path.join(folder, sub, n) for sub in ("", *subdirs) for n in names]


def fetch(names: Sequence[str], mirrors: Sequence[str], validate: Callable[[str, bytes], object],
          *, subdirs: Sequence[str] = (), progress: bool = True, retries: int = 3,
          timeout: float = 30.0, what: str = "file", hint: str = ""):
    """Get the first copy of a file that ``validate`` accepts, trying each mirror in turn.

    Args:
        names: file names to look for, preferred first (e.g. ``x.gz`` then ``x``).
        mirrors: URL prefixes or local folders, tried in order.
        validate: ``validate(name, data)`` returns the value to hand back, or raises to reject
            the copy (a checksum mismatch, a damaged file); the next mirror is then tried.
        subdirs: sub-folders of a local mirror to search as well.
        progress: show a progress bar while downloading.
        retries: attempts per URL for transient failures (timeouts, 5xx, cut connections).
        timeout: socket timeout in seconds.
        what: the file's description for the error message.
        hint: what the user can do, appended to the error message.

    Returns:
        What ``validate`` returned for the accepted copy.

    Raises:
        DownloadError: no mirror had a valid copy; the message lists every attempt.
    """
    failures: list[str] = []
    for mirror in mirrors:
        if _is_url(mirror):
            for name in names[:1]:  # servers publish the canonical (first) name only
                url = urllib.parse.urljoin(mirror.rstrip("/") + "/", name)
                for attempt in range(max(1, retries)):
                    try:
                        data = _http_get(url, progress, timeout)
                    except _Retryable as exc:
                        failures.append(f"{url}: {exc} (attempt {attempt + 1}/{retries})")
                        if attempt + 1 < retries:
                            time.sleep(min(0.25 * 2 ** attempt, 4.0))
                        continue
                    except OSError as exc:
                        failures.append(f"{url}: {exc}")
                        break
                    try:
                        return validate(name, data)
                    except Exception as exc:  # noqa: BLE001
                        failures.append(f"{url}: rejected: {exc}")
                        break
            continue
        folder = mirror.removeprefix("file://")
        folder = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(folder):
            failures.append(f"{folder}: not a folder")
            continue
        candidates = [p for p in _local_candidates(folder, names, subdirs) if os.path.isfile(p)]
        if not candidates:
            failures.append(f"{folder}: none of {', '.join(names)} there")
        for path in candidates:
            try:
                with open(path, "rb") as fh:
                    return validate(os.path.basename(path), fh.read())
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{path}: rejected: {exc}")
    tried = "\n".join(f"  - {f}" for f in failures) or "  (no mirror was configured)"
    raise DownloadError(f"Could not get {what} from any mirror. Attempts:\n{tried}\n{hint}")
