"""The methods and stop reasons that the C++ core owns (options.hpp), as _core binds them."""

from __future__ import annotations

import pytest
from rnndyn import _core

METHODS = ["newton", "trust-ncg", "lm", "cg", "adam"]
STOP_REASONS = [
    "q_tolerance",
    "gradient_tolerance",
    "step_tolerance",
    "iteration_limit",
    "non_finite",
]


def test_method_names_in_enum_order() -> None:
    assert _core.method_names() == METHODS
    members = ["newton", "trust_ncg", "lm", "cg", "adam"]
    assert list(_core.Method.__members__) == members
    for code, name in enumerate(members):
        assert int(getattr(_core.Method, name)) == code
        assert getattr(_core.Method, name).name == name


def test_default_max_iter() -> None:
    defaults = {name: _core.default_max_iter(name) for name in METHODS}
    assert defaults == {"newton": 500, "trust-ncg": 500, "lm": 300, "cg": 20_000, "adam": 5_000}


def test_unknown_method_names_the_allowed_ones() -> None:
    message = "method must be 'newton', 'trust-ncg', 'lm', 'cg' or 'adam', got 'bfgs'"
    with pytest.raises(ValueError, match=message):
        _core.default_max_iter("bfgs")
    system = _core.DiscreteSystem([[0.5]], [0.0], "tanh")
    with pytest.raises(ValueError, match=message):
        system.minimize([[0.1]], "bfgs", _core.MinimizeOptions())


def test_stop_reasons_by_code() -> None:
    assert _core.stop_reason_names() == STOP_REASONS
    assert list(_core.StopReason.__members__) == STOP_REASONS
    for code, name in enumerate(STOP_REASONS):
        reason = getattr(_core.StopReason, name)
        assert int(reason) == reason.value == code
        assert reason.name == name
        assert _core.StopReason(code) == reason
    assert int(_core.StopReason.non_finite) == 4


def test_minimize_codes_are_stop_reasons() -> None:
    system = _core.DiscreteSystem([[0.5]], [0.0], "tanh")
    *_, reasons = system.minimize([[0.1], [float("nan")]], "newton", _core.MinimizeOptions())
    assert [_core.StopReason(int(code)) for code in reasons] == [
        _core.StopReason.q_tolerance,
        _core.StopReason.non_finite,
    ]
