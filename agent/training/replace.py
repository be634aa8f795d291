"""Writing a model directory whole or not at all (`salesrl train --out DIR`).

The new model is built in a sibling directory (`.DIR.new-*`, same filesystem), then swapped in: on Linux in one
step that exchanges the two directories (renameat2 with RENAME_EXCHANGE), so that DIR holds a whole model at every
moment, the old or the new, and a bot started after a hard kill (SIGKILL, a power cut) of `salesrl train` loads
one; then the old one, now in `.DIR.new-*`, is removed. Where the system cannot exchange directories (another OS,
a filesystem without it), the old directory is renamed aside (`.DIR.old-*`), the new one renamed in, the old one
removed: a hard kill between those two renames leaves DIR missing, its model in `.DIR.old-*` beside it. A failure
while building (an exception, a full disk, Ctrl-C) removes the new directory and leaves DIR as it was; a failure
in the swap (Ctrl-C included) puts the old one back. Entries of DIR that the new model does not write and that are
not in `discard` (files someone put beside the model) are carried over into the new directory, as writing in
place left them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

from salesrl.agent.errors import ModelError

log = logging.getLogger(__name__)


def check_replaceable(out: Path) -> Path:
    """`out` as a path that replace_directory can write (symlinks and `..` resolved, so a link to a model
    directory replaces the model it points to); ModelError when it cannot be: a file, the root, or the current
    directory or one holding it (which would be renamed away from under the shell that ran the command)."""
    target = out.resolve()
    if target.exists() and not target.is_dir():
        raise ModelError(f"{out} is a file; give a directory for the model")
    if target.parent == target:
        raise ModelError(f"{out} is the root of the filesystem; give a directory of its own for the model")
    cwd = Path.cwd().resolve()
    if cwd == target or target in cwd.parents:
        raise ModelError(f"{out} is (or holds) the current directory, which the model replaces whole; "
                         "give a directory of its own for the model")
    return target


def replace_directory(out: Path, build: Callable[[Path], None], discard: Collection[str] = ()) -> None:
    """Build a directory with `build(path)` and put it at `out`, whole or not at all (the module's docstring).
    `discard`: names in the old `out` that belong to the old model and go with it even when the new one does
    not write them. An OSError (a full disk, a permission) becomes a ModelError saying `out` is untouched."""
    target = check_replaceable(out)
    existed = target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        new = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as e:
        raise ModelError(f"{out}: cannot write the model ({e.strerror or e})") from e
    try:
        build(new)
        os.chmod(new, _mode_for(target))  # mkdtemp's 0700 would hide the model from other users
        if existed:
            _swap(target, new, discard)
        else:
            os.rename(new, target)
    except OSError as e:
        raise ModelError(f"{out}: cannot write the model ({e.strerror or e}); "
                         + ("it keeps the model it had" if existed else "nothing was written")) from e
    finally:
        shutil.rmtree(new, ignore_errors=True)  # gone already when it was put in place


def _swap(target: Path, new: Path, discard: Collection[str]) -> None:
    carried: list[str] = []
    old: Path | None = None
    try:
        for name in sorted(os.listdir(target)):
            if name not in discard and not os.path.lexists(new / name):
                os.rename(target / name, new / name)
                carried.append(name)
        if _exchange(target, new):
            old = new  # now the old model's
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, old)  # onto the empty directory mkdtemp made
            os.rename(new, target)
    except BaseException:
        if old is not None and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(old, target)  # the old model back
        for name in reversed(carried):
            with contextlib.suppress(OSError):
                os.rename(new / name, target / name)
        if old is not None:
            with contextlib.suppress(OSError):
                old.rmdir()  # still the empty directory when the old model never moved there
        raise
    try:
        shutil.rmtree(old)
    except OSError as e:  # the new model is in place; the old one is only left over
        log.warning("the previous model stays in %s: cannot remove it (%s)", old, e.strerror or e)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# what renameat2 says when the kernel, the filesystem or the C library cannot exchange two paths
_CANNOT_EXCHANGE = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux's renameat2 with RENAME_EXCHANGE); False, with nothing done, where
    the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not Linux, or a C library without it (glibc before 2.28)
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _CANNOT_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _mode_for(target: Path) -> int:
    if target.is_dir():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask
