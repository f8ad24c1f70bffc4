"""Saving and loading results as `.npz` archives with JSON metadata, never pickle.

An archive holds named arrays plus `__meta__`, a JSON string with the result's `kind`, the
`format` version and any scalar settings. Saving writes a temporary file in the same folder
and renames it, so an interrupted save never leaves a half-written file in place.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import Field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

FORMAT_VERSION = 1
_META = "__meta__"
_Result = TypeVar("_Result", bound="SavedResult")


def save_archive(
    path: str | os.PathLike[str], kind: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> Path:
    """Write `arrays` and `meta` to `path` (".npz" appended if missing); returns the path."""
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    header = {"kind": kind, "format": FORMAT_VERSION, **meta}
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    payload[_META] = np.array(json.dumps(header))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mypy offers **payload to savez_compressed's allow_pickle (bool) as well
            np.savez_compressed(handle, **payload)  # type: ignore[arg-type]
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return target


def load_archive(
    path: str | os.PathLike[str], kind: str
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an archive written by `save_archive` for `kind`; returns (arrays, settings).

    `settings` is the metadata less its `kind` and `format`.

    Raises FileNotFoundError for a missing file and ValueError for one that is not such an
    archive, is of another kind, is truncated or corrupt, or comes from a newer format.
    """
    source = Path(path)
    if not source.exists() and source.suffix != ".npz":
        source = source.with_name(source.name + ".npz")
    if not source.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        # our own handle: np.load leaves its own open when the file is not a valid archive
        with open(source, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        raise ValueError(f"{source} is not a readable rnndyn archive: {exc}") from None
    if _META not in arrays:
        raise ValueError(f"{source} is not an rnndyn archive (no metadata)")
    try:
        meta = json.loads(str(arrays.pop(_META)))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source} has corrupt metadata: {exc}") from None
    if meta.get("kind") != kind:
        raise ValueError(f"{source} holds a {meta.get('kind')!r}, not a {kind!r}")
    if not isinstance(meta.get("format"), int) or meta["format"] > FORMAT_VERSION:
        raise ValueError(
            f"{source} has format {meta.get('format')!r}; this rnndyn reads up to "
            f"{FORMAT_VERSION}: upgrade rnndyn"
        )
    return arrays, {key: value for key, value in meta.items() if key not in ("kind", "format")}


def save_result(result: DataclassInstance, path: str | os.PathLike[str]) -> Path:
    """Save a dataclass of arrays: its array fields as arrays (None ones left out), the others
    as metadata; the kind is the class name."""
    arrays, settings = {}, {}
    for field in fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            arrays[field.name] = value
        elif value is not None:
            settings[field.name] = value
    return save_archive(path, type(result).__name__, arrays, settings)


def load_result(cls: type[_Result], path: str | os.PathLike[str]) -> _Result:
    """Load a dataclass saved by `save_result`."""
    arrays, settings = load_archive(path, cls.__name__)
    try:
        return cls(**arrays, **settings)
    except TypeError as exc:
        raise ValueError(f"{path}: not a valid {cls.__name__} archive: {exc}") from None


class SavedResult:
    """`save` and `load` for a result dataclass whose fields are arrays and scalars."""

    # what @dataclass gives the subclasses (`save_result` reads the fields); typing only
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save to `path` (.npz, no pickle); returns the path."""
        return save_result(self, path)

    @classmethod
    def load(cls: type[_Result], path: str | os.PathLike[str]) -> _Result:
        """Load a result written by `save`."""
        return load_result(cls, path)
