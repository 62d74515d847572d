"""What ``mdcd-lab`` prints when a command fails: one line naming the file (docs/cli.md)."""

from __future__ import annotations

import errno

from .specs import SpecError

__all__ = ["error_line"]


def _name_of(args) -> str:
    """The input file of the command, for messages that have no file of their own."""
    for key in ("spec", "study", "results"):
        if getattr(args, key, None):
            return f"{getattr(args, key)}: "
    return ""


def error_line(exc: BaseException, args=None) -> tuple[int, str]:
    """The exit status and the one line of an exception that ends a command.

    Every message names a file where one is involved: an ``OSError`` its
    ``filename`` (the writers of [`mdcd_lab.io`][mdcd_lab.io] set it on a full disk, a
    read-only folder or a file-size limit), the others the command's input file.
    """
    where = _name_of(args) if args is not None else ""
    if isinstance(exc, (SpecError, ValueError)) and not isinstance(exc, UnicodeError):
        return 2, f"mdcd-lab: error: {exc}"
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else None
        text = exc.strerror or str(exc)
        code = f" [{errno.errorcode.get(exc.errno, exc.errno)}]" if exc.errno else ""
        if name is None:
            return 2, f"mdcd-lab: error: {where}{text}{code}"
        extra = f" -> {exc.filename2}" if exc.filename2 is not None else ""
        return 2, f"mdcd-lab: error: {name}{extra}: {text}{code}"
    if isinstance(exc, MemoryError):
        return 2, (f"mdcd-lab: error: {where}out of memory; run fewer runs or points at once "
                   f"(the cost estimate is in docs/cli.md)")
    if isinstance(exc, RecursionError):
        return 2, f"mdcd-lab: error: {where}the input is nested too deeply ({exc})"
    if isinstance(exc, (OverflowError, UnicodeError)):
        return 2, f"mdcd-lab: error: {where}{exc}"
    raise exc
