"""Exclusive lock files: one writer per store or output at a time.

A writer takes the lock before it touches what the lock guards (a sweep store,
the parts of ``mdcd-lab run --out``); a second writer is refused at once with
[`LockedError`][mdcd_lab.io.LockedError], whose message names the lock file and its holder (pid,
host, start time, command).  The lock is an ``flock`` held on the open lock
file, so the kernel releases it when its holder dies however it dies
(SIGKILL included): a lock file left by a dead process is *stale*, and the next
writer takes it over.  The holder's pid and host are written into the file for
the messages; where ``flock`` is not supported, a lock file whose holder is a
process of this host that no longer runs counts as stale.  See
``docs/studies.md``, *Stores and resuming*, and ``docs/cli.md``.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

__all__ = ["FileLock", "LockedError", "read_lock"]

try:
    import fcntl
except ImportError:   # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


class LockedError(BlockingIOError):
    """Another live process holds the lock; ``filename`` is the lock file."""


def read_lock(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The holder written in a lock file (``{}`` if it is empty or unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: Any) -> bool:
    """Whether process ``pid`` of this host runs (a zombie counts as dead)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _holder_text(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process"
    since = f" since {holder['started']}" if holder.get("started") else ""
    cmd = f" ({' '.join(map(str, holder['argv']))[:80]})" if holder.get("argv") else ""
    return f"pid {holder.get('pid')} on host {holder.get('host')}{since}{cmd}"


class FileLock:
    """An exclusive lock on ``path`` (a file, created if missing).

    Parameters
    ----------
    path : path-like
        The lock file.
    what : str
        What it guards, for the refusal (``"store 'out/s'"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with FileLock(d / "lock", "store"):
    ...     FileLock(d / "lock", "store").acquire()
    Traceback (most recent call last):
    ...
    mdcd_lab.io.locks.LockedError: ...
    """

    def __init__(self, path: str | os.PathLike[str], what: str) -> None:
        self.path = Path(path)
        self.what = what
        self.fd: int | None = None
        #: The holder of a stale lock this one took over (``{}`` if none).
        self.took_over: dict[str, Any] = {}

    def acquire(self) -> FileLock:
        """Take the lock or raise [`LockedError`][mdcd_lab.io.LockedError] naming its holder."""
        for _ in range(20):      # the file may be replaced while we open it
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if not self._lock_fd(fd):
                    raise self._refusal()
                if not self._same_file(fd):
                    os.close(fd)
                    continue
            except BaseException:
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                raise
            self._write_holder(fd)
            self.fd = fd
            return self
        raise LockedError(errno.EAGAIN, f"{self.what} is being locked and unlocked by other "
                          f"processes; try again", str(self.path))

    def _lock_fd(self, fd: int) -> bool:
        """flock the file; without flock, refuse a holder that still runs here."""
        old = read_lock(self.path)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.took_over = old
                return True
            except BlockingIOError:
                return False
            except OSError as exc:
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
        if old and (old.get("host") != socket.gethostname() or _alive(old.get("pid"))) \
                and old.get("pid") != os.getpid():
            return False
        self.took_over = old
        return True

    def _same_file(self, fd: int) -> bool:
        """The path still names the file we locked (a releasing holder unlinks it)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        own = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)

    def _write_holder(self, fd: int) -> None:
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                  "argv": [str(a) for a in sys.argv]}
        data = (json.dumps(holder) + "\n").encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)

    def _refusal(self) -> LockedError:
        holder = read_lock(self.path)
        return LockedError(None, f"{self.what} is in use by {_holder_text(holder)}; only one "
                           f"writer at a time: wait for it to finish, or stop it (a lock "
                           f"left by a process that died is taken over)", str(self.path))

    def release(self) -> None:
        """Remove the lock file and let the lock go."""
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
