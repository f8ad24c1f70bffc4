"""Finished jobs kept in a folder, so that a sweep run again with the same arguments takes
their outcomes from disk and computes only the jobs that are missing.

A job's key is the SHA-256 of a canonical encoding of
- STORE_FORMAT and rnndyn's version: another layout of these files, or another release whose
  code might compute differently, never hands back an outcome it did not make. Within a
  release, STORE_FORMAT is also raised when a job function's outcome changes shape (format 2:
  noise_robustness's levels and the study's networks also give the bits held) or what a job
  computes changes (format 3: an ESN's W_r drawn at float32 resolution, so a seed's network
  changes), so a folder kept from before computes such jobs again rather than hand back an
  outcome of the old shape or of the old networks;
- the job function's module and qualified name: two sweeps sharing a folder do not collide;
- the job, a frozen dataclass: its class's name and every field, by name, recursively.
  Arrays count by dtype, shape and bytes (so float32 and float64 zeros, or a (2, 3) and a
  (3, 2) array, differ; the memory layout does not count); floats by their exact bits;
  an ESN by its settings, weights and state (what `ESN.__eq__` compares). A field that only
  says how to compute, not what (a thread count), is left out by declaring it with
  `field(metadata=NOT_IN_KEY)`; such a field must not change the outcome.
The executor and the number of processes are not part of a job, so they never change a key.

A file, `<function name>-<key>.pkl`, holds MAGIC, the key, the SHA-256 of the payload and
the payload: the outcome pickled. Pickle, not .npz like the rest of rnndyn's files: an
outcome is whatever its job function returns (a tuple of arrays, a FixedPoints), and pickle
gives each back exactly (dtype, shape, every bit) without per-type code. These files are
written by this module for its own later reads, never exchanged: loading one runs pickle,
so a store folder must be as trusted as the code. A file whose header or checksum does not
match is taken as corrupt and its job computed again (with a warning), never unpickled.

A file is written to a temporary name in the same folder, flushed to disk (fsync) and only
then renamed to its final name (os.replace, atomic): Ctrl-C or a killed process leaves at
most a `*.tmp` file, which is never read, and never a partial file under a final name.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

STORE_FORMAT = 3  # see the module docstring: raised when the outcomes change
MAGIC = b"rnndyn-job\n"
# the metadata of a job's field that does not change its outcome (see the module docstring)
NOT_IN_KEY = {"job_key": False}
_DIGEST = 32  # bytes of a SHA-256


class JobStore:
    """A folder of finished jobs' outcomes, by key (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, function: Callable[..., Any], job: object) -> Path:
        """Where the outcome of function(job) is kept."""
        return self.folder / f"{function.__name__}-{job_key(function, job)}.pkl"

    def load(self, path: Path) -> tuple[bool, Any]:
        """(True, outcome) if `path` holds a sound outcome; (False, None) if it is missing or
        corrupt (then with a warning: the job will be computed again and the file replaced)."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return False, None
        key = path.stem.rpartition("-")[2].encode()
        header = MAGIC + key
        start = len(header) + _DIGEST
        payload = data[start:]
        if data[: len(header)] != header or data[len(header) : start] != _sha256(payload):
            warnings.warn(f"{path} is corrupt: its job is computed again", stacklevel=3)
            return False, None
        try:
            return True, pickle.loads(payload)
        except Exception as exc:  # sound bytes, but of code that has since changed
            warnings.warn(f"{path} cannot be read ({exc}): its job is computed again", stacklevel=3)
            return False, None

    def save(self, path: Path, outcome: object) -> None:
        """Write `outcome` to `path` atomically: all of it under that name, or nothing."""
        payload = pickle.dumps(outcome, protocol=5)
        key = path.stem.rpartition("-")[2].encode()
        fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC + key + _sha256(payload))
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())  # the bytes on disk before the name points at them
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        _sync_folder(self.folder)


def as_store(name: str, folder: object) -> JobStore | None:
    """A JobStore in `folder` (created if missing), or None if `folder` is None.

    TypeError if `folder` is not a str or os.PathLike; ValueError if it names a file."""
    if folder is None:
        return None
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"{name} must be a folder (str or os.PathLike) or None, got {folder!r}")
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} must be a folder, but {str(path)!r} is a file")
    path.mkdir(parents=True, exist_ok=True)
    return JobStore(path)


def job_key(function: Callable[..., Any], job: object) -> str:
    """The hex SHA-256 that identifies function(job) (see the module docstring)."""
    from . import __version__

    digest = hashlib.sha256()
    for part in (STORE_FORMAT, __version__, function.__module__, function.__qualname__, job):
        _feed(digest, part)
    return digest.hexdigest()


def _feed(digest: Any, value: object) -> None:
    """Add `value` to `digest` unambiguously: each part is tagged and its length given."""
    from .networks.esn import ESN, _contents

    if value is None or isinstance(value, bool | int | float | str | bytes):
        _tagged(digest, type(value).__name__, _scalar_bytes(value))
    elif isinstance(value, np.ndarray | np.generic):
        _feed_array(digest, np.asarray(value))
    elif isinstance(value, tuple | list | dict):
        _feed_container(digest, value)
    elif isinstance(value, ESN):
        _feed(digest, ("ESN", _contents(value)))
    elif is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        _tagged(digest, "dataclass", f"{cls.__module__}.{cls.__qualname__}".encode())
        for field in fields(value):
            if field.metadata.get("job_key", True):
                _feed(digest, field.name)
                _feed(digest, getattr(value, field.name))
    else:
        raise TypeError(f"a job's key cannot hold a {type(value).__name__}: {value!r:.80}")


def _feed_container(digest: Any, value: tuple[Any, ...] | list[Any] | dict[Any, Any]) -> None:
    _tagged(digest, type(value).__name__, str(len(value)).encode())
    if not isinstance(value, dict):
        for item in value:
            _feed(digest, item)
        return
    for key in sorted(value, key=repr):  # kwargs-like dicts: str keys, distinct reprs
        _feed(digest, key)
        _feed(digest, value[key])


def _feed_array(digest: Any, array: np.ndarray) -> None:
    if array.dtype.hasobject:  # the bytes would be pointers
        raise TypeError("a job's key cannot hold an array of Python objects")
    descr = repr(np.lib.format.dtype_to_descr(array.dtype)) + repr(array.shape)
    _tagged(digest, "array", descr.encode())
    contiguous = np.ascontiguousarray(array)
    digest.update(str(contiguous.nbytes).encode() + b":")
    digest.update(contiguous.view(np.uint8).reshape(-1) if contiguous.size else b"")


def _scalar_bytes(value: None | bool | int | float | str | bytes) -> bytes:
    if isinstance(value, float):
        return value.hex().encode()  # exact, and -0.0 differs from 0.0
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _tagged(digest: Any, tag: str, data: bytes) -> None:
    digest.update(f"{tag}:{len(data)}:".encode() + data)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for a renamed file to disk (POSIX; Windows cannot open a
    folder, and its rename is flushed with the file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
