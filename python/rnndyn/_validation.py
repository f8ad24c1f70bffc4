"""Checks at the public boundary: every failure names the argument and what was expected."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import TypeVar, overload

import numpy as np
from numpy.typing import DTypeLike, NDArray

Shape = Sequence[int | None]
_Choice = TypeVar("_Choice", bound=str)


@overload
def as_array(name: str, value: object, shape: Shape) -> NDArray[np.float64]: ...
@overload
def as_array(name: str, value: object, shape: Shape, *, dtype: DTypeLike) -> np.ndarray: ...
def as_array(
    name: str, value: object, shape: Shape, *, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """`value` as a C-contiguous array of `dtype` with the given shape (None: any length).

    Raises TypeError when it is not numeric, ValueError for a wrong shape or a non-finite entry.
    """
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and other oddities
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise TypeError(f"{name} must be an array of numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    expected = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
    if array.ndim != len(shape) or any(
        s is not None and s != actual for s, actual in zip(shape, array.shape, strict=False)
    ):
        raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
    array = np.ascontiguousarray(array, dtype=dtype)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (it contains NaN or inf)")
    return array


DTYPES = (np.float64, np.float32)


def as_dtype(value: DTypeLike, name: str = "dtype") -> np.dtype:
    """`value` as np.dtype float64 or float32 (names, types and dtypes accepted)."""
    dtype: np.dtype | None
    try:
        dtype = np.dtype(value)
    except TypeError:
        dtype = None
    if dtype is None or dtype not in DTYPES:
        raise ValueError(f"{name} must be float64 or float32, got {value!r}")
    return dtype


def as_int(name: str, value: object, *, minimum: int) -> int:
    """`value` as an int ≥ minimum (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_float(
    name: str,
    value: object,
    *,
    positive: bool = False,
    minimum: float | None = None,
    below: float | None = None,
) -> float:
    """`value` as a finite float; `positive` demands > 0, `minimum` demands ≥ minimum,
    `below` demands < below."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    result = float(value)
    if not np.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    if positive and result <= 0:
        raise ValueError(f"{name} must be > 0, got {result}")
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {result}")
    if below is not None and result >= below:
        raise ValueError(f"{name} must be < {below:g}, got {result:g}")
    return result


def as_choice(name: str, value: object, choices: Sequence[_Choice]) -> _Choice:
    """`value` if it is one of `choices` (the choice it equals, typed as one of them)."""
    for choice in choices:
        if value == choice:
            return choice
    raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def as_rng(value: object, name: str = "seed") -> np.random.Generator:
    """A Generator from `value`: None (fresh entropy), an int >= 0, a SeedSequence or a
    Generator (used as it is)."""
    if isinstance(value, bool) or not (
        value is None
        or isinstance(value, numbers.Integral | np.random.SeedSequence | np.random.Generator)
    ):
        raise TypeError(
            f"{name} must be None, an int or a numpy Generator, got {type(value).__name__}"
        )
    if isinstance(value, numbers.Integral) and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    # numbers.Integral (what is left besides the accepted types) is not in NumPy's signature
    return np.random.default_rng(value)  # type: ignore[arg-type]


# threads beyond this stop helping the core on the machines measured (memory-bound products)
MAX_DEFAULT_JOBS = 8


# a simulation or FORCE step of fewer units runs on one thread by default: its threads meet at
# barriers every step, which costs more than they save below about this size
STEP_THREADS_FROM = 500


def as_jobs(name: str, value: object, size: int | None = None) -> int:
    """Threads for the core: an int >= 1, or None for the cores this process may use
    (`os.sched_getaffinity`, else `os.cpu_count`), capped at MAX_DEFAULT_JOBS; the environment
    variable RNNDYN_NUM_THREADS overrides the default. With `size`, the N of a network whose
    steps the threads share, the default is one thread below STEP_THREADS_FROM units.
    Results never depend on it."""
    if value is not None:
        return as_int(name, value, minimum=1)
    if size is not None and size < STEP_THREADS_FROM:
        return 1
    override = os.environ.get("RNNDYN_NUM_THREADS", "").strip()
    if override:
        try:
            return as_int("RNNDYN_NUM_THREADS", int(override), minimum=1)
        except ValueError:
            raise ValueError(
                f"RNNDYN_NUM_THREADS must be a whole number >= 1, got {override!r}"
            ) from None
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_DEFAULT_JOBS))
