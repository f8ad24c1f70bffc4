"""The type information: rnndyn/_core.pyi against both compiled builds, and mypy --strict over
the package (configured in pyproject.toml's [tool.mypy]).

stubtest checks names, kinds (class, function, property, attribute) and values, but pybind11
functions carry no signature that `inspect` can read, so the arguments are compared here with
the signatures pybind11 writes into each docstring. Those comparisons read the installed stub
and so run on wheels too; mypy and stubtest need the checkout and the test extra.
"""

from __future__ import annotations

import ast
import copy
import importlib
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import rnndyn

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(rnndyn.__file__).parent
STUB = PACKAGE / "_core.pyi"
ALLOWLIST = ROOT / "tests" / "stubtest_allowlist.txt"
# the AVX2 build is checked wherever it can be loaded (on x86-64 CPUs with AVX2 and FMA); the
# builds are imported by name, as they have no stubs of their own (_core.pyi is their stub)
portable = importlib.import_module("rnndyn._core_portable")
BUILDS = ["portable"] + (["avx2"] if portable.cpu_has_avx2_fma() else [])


def _start(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _build(name: str) -> ModuleType:
    return importlib.import_module(f"rnndyn._core_{name}")


# -- the tools ----------------------------------------------------------------------------------


def test_package_is_marked_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert STUB.is_file()


@pytest.fixture(scope="module")
def checkers() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """stubtest against each build and mypy --strict, started together: each holds one core
    for 20-30 s, so on two cores the three finish in about half the time they take in turn.
    (stubtest writes no cache; mypy alone writes .mypy_cache.)"""
    stubtest = ("mypy.stubtest", "rnndyn._core", "--allowlist", str(ALLOWLIST))
    running = {build: _start(*stubtest, RNNDYN_SIMD=build) for build in BUILDS}
    running["mypy"] = _start("mypy", "--strict", "python/rnndyn")
    yield running
    for process in running.values():
        if process.returncode is None:  # not waited for: a test before its own failed
            process.kill()
            process.communicate()


def _outcome(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


@pytest.mark.source_tree
@pytest.mark.parametrize("build", BUILDS)
def test_stubtest(build: str, checkers: dict[str, subprocess.Popen[str]]) -> None:
    """stubtest finds nothing wrong with the stub for rnndyn._core loaded from either build."""
    code, output = _outcome(checkers[build])
    assert code == 0, output


@pytest.mark.source_tree
def test_mypy_strict(checkers: dict[str, subprocess.Popen[str]]) -> None:
    code, output = _outcome(checkers["mypy"])
    assert code == 0, output


# -- the stub against each build, name by name and argument by argument ----------------------------


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def _public(names: Iterable[str]) -> set[str]:
    return {name for name in names if not name.startswith("_")}


def _stub_names(body: list[ast.stmt]) -> set[str]:
    names = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return _public(names)


def _stub_classes() -> dict[str, ast.ClassDef]:
    """The public classes, each with the bodies of its bases in the stub (stub-only classes
    such as _BoundNetwork, which hold what two bound classes share) before its own."""
    classes = {node.name: node for node in _stub().body if isinstance(node, ast.ClassDef)}

    def body(node: ast.ClassDef) -> list[ast.stmt]:
        bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
        inherited = [item for base in bases if base in classes for item in body(classes[base])]
        return inherited + node.body

    public = {}
    for name, node in classes.items():
        if not name.startswith("_"):
            public[name] = copy.copy(node)
            public[name].body = body(node)
    return public


@pytest.mark.parametrize("build", BUILDS)
def test_stub_has_every_public_name(build: str) -> None:
    module = _build(build)
    assert _stub_names(_stub().body) == _public(vars(module))
    for name, node in _stub_classes().items():
        assert _stub_names(node.body) == _public(vars(getattr(module, name))), name


def test_core_is_one_of_the_builds() -> None:
    import rnndyn._core as core

    assert core.instruction_set in ("portable", "avx2")
    assert _public(vars(_build(core.instruction_set))) <= _public(vars(core))


def _stub_functions(body: list[ast.stmt]) -> dict[str, list[ast.FunctionDef]]:
    """Name -> its definitions (several for an overload), properties left out."""
    found: dict[str, list[ast.FunctionDef]] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef) and not any(
            isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list
        ):
            found.setdefault(node.name, []).append(node)
    return found


def _runtime_signatures(function: object, name: str) -> list[ast.FunctionDef]:
    """The signatures pybind11 wrote at the top of the docstring, one per overload."""
    lines = (function.__doc__ or "").splitlines()
    signatures = []
    for line in lines:
        text = line.split(". ", 1)[1] if line[:1].isdigit() and ". " in line else line
        if text.startswith(f"{name}(") and text != f"{name}(*args, **kwargs)":
            tree = ast.parse(f"def {text}: ...")
            assert isinstance(tree.body[0], ast.FunctionDef)
            signatures.append(tree.body[0])
    assert signatures, f"no signature in the docstring of {name}"
    return signatures


def _runtime_type(node: ast.expr | None) -> object:
    """A pybind11 annotation, reduced: ("array", dtype, writeable), "int", "bool", ..."""
    if _is_optional(node):  # std::optional: "X | None"
        assert isinstance(node, ast.BinOp)
        return ("optional", _runtime_type(node.left))
    text = ast.unparse(node) if node is not None else "None"
    if text.startswith("typing.Annotated[numpy.typing.NDArray["):
        dtype = text.split("numpy.typing.NDArray[numpy.", 1)[1].split("]", 1)[0]
        return ("array", dtype, "flags.writeable" in text)
    if text.startswith("numpy.typing.NDArray[numpy."):  # a py::array_t returned
        dtype = text[len("numpy.typing.NDArray[numpy.") : -1]
        return ("array", {"bool": "bool_"}.get(dtype, dtype), True)
    if text.startswith("typing.Annotated[numpy.typing.ArrayLike, numpy."):  # py::array_t
        return ("array", text.split("numpy.")[-1].rstrip("]"), False)
    if text.startswith("tuple["):
        assert isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple)
        return ("tuple", *map(_runtime_type, node.slice.elts))
    if text.startswith("collections.abc.Sequence["):  # a std::vector argument
        assert isinstance(node, ast.Subscript)
        return ("sequence", _runtime_type(node.slice))
    scalars = {
        "typing.SupportsInt | typing.SupportsIndex": "int",
        "typing.SupportsFloat | typing.SupportsIndex": "float",
    }
    return scalars.get(text, text.rsplit(".", 1)[-1])


def _is_optional(node: ast.expr | None) -> bool:
    """Whether an annotation reads "X | None"."""
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.BitOr)
        and isinstance(node.right, ast.Constant)
        and node.right.value is None
    )


def _stub_type(node: ast.expr | None) -> object:
    if _is_optional(node):
        assert isinstance(node, ast.BinOp)
        return ("optional", _stub_type(node.left))
    text = ast.unparse(node) if node is not None else "None"
    if text.startswith("NDArray[np."):
        return ("array", text[len("NDArray[np.") : -1])
    if text.startswith("tuple["):
        assert isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple)
        return ("tuple", *map(_stub_type, node.slice.elts))
    if text.startswith("Sequence["):
        assert isinstance(node, ast.Subscript)
        return ("sequence", _stub_type(node.slice))
    return text


def _agrees(runtime: object, stub: object, argument: bool) -> bool:
    """Whether the stub's type says what pybind11's does: an array is NDArray of its dtype, or
    ArrayLike where the core converts it (an argument that it does not write)."""
    if isinstance(runtime, tuple) and runtime[0] == "array":
        _, dtype, writeable = runtime
        return stub == ("array", dtype) or (argument and not writeable and stub == "ArrayLike")
    if isinstance(runtime, tuple):
        return (
            isinstance(stub, tuple)
            and len(stub) == len(runtime)
            and all(_agrees(r, s, argument) for r, s in zip(runtime, stub, strict=True))
        )
    return runtime == stub


def _compare(runtime: ast.FunctionDef, stub: ast.FunctionDef, where: str) -> None:
    runtime_args, stub_args = runtime.args.args, stub.args.args
    if stub_args and stub_args[0].arg == "self":
        assert runtime_args[0].arg == "self", where
        runtime_args, stub_args = runtime_args[1:], stub_args[1:]
    assert [a.arg for a in stub_args] == [a.arg for a in runtime_args], where
    runtime_keywords, stub_keywords = runtime.args.kwonlyargs, stub.args.kwonlyargs
    assert [a.arg for a in stub_keywords] == [a.arg for a in runtime_keywords], where
    assert not (stub.args.vararg or stub.args.kwarg), where
    for r, s in zip(runtime_args + runtime_keywords, stub_args + stub_keywords, strict=True):
        assert _agrees(_runtime_type(r.annotation), _stub_type(s.annotation), True), (
            f"{where}: {s.arg}: {ast.unparse(s.annotation or ast.Constant(None))} for "
            f"{ast.unparse(r.annotation or ast.Constant(None))}"
        )
    assert _agrees(_runtime_type(runtime.returns), _stub_type(stub.returns), False), (
        f"{where}: returns {ast.unparse(stub.returns or ast.Constant(None))} for "
        f"{ast.unparse(runtime.returns or ast.Constant(None))}"
    )
    runtime_defaults, stub_defaults = runtime.args.defaults, stub.args.defaults
    assert len(stub_defaults) == len(runtime_defaults), f"{where}: defaults"
    # keyword-only arguments: one default or None each
    runtime_keyword_defaults, stub_keyword_defaults = (
        [default for default in args.kw_defaults if default is not None]
        for args in (runtime.args, stub.args)
    )
    assert [d is None for d in stub.args.kw_defaults] == [
        d is None for d in runtime.args.kw_defaults
    ], f"{where}: keyword defaults"
    for runtime_default, stub_default in zip(
        runtime_defaults + runtime_keyword_defaults,
        stub_defaults + stub_keyword_defaults,
        strict=True,
    ):
        if not (isinstance(stub_default, ast.Constant) and stub_default.value is Ellipsis):
            assert ast.literal_eval(stub_default) == ast.literal_eval(runtime_default), (
                f"{where}: default {ast.unparse(stub_default)}"
            )


def _stub_attributes(node: ast.ClassDef) -> dict[str, ast.expr | None]:
    """Name -> type of each attribute and property; Final constants (discrete_time, whose
    value stubtest compares) left out."""
    found: dict[str, ast.expr | None] = {}
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            if not ast.unparse(item.annotation).startswith("Final"):
                found[item.target.id] = item.annotation
        elif isinstance(item, ast.FunctionDef) and any(
            isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
        ):
            found[item.name] = item.returns
    return found


@pytest.mark.parametrize("build", BUILDS)
def test_stub_attribute_types(build: str) -> None:
    """The type of each attribute and property is what its getter returns."""
    module = _build(build)
    for class_name, node in _stub_classes().items():
        for name, annotation in _stub_attributes(node).items():
            getter = vars(getattr(module, class_name))[name].fget
            signature = (getter.__doc__ or "").splitlines()[0]
            tree = ast.parse(f"def {name}{signature}: ...").body[0]
            assert isinstance(tree, ast.FunctionDef)
            assert _runtime_type(tree.returns) == _stub_type(annotation), f"{class_name}.{name}"


def _signature_cases() -> list[tuple[str, str | None, str]]:
    cases: list[tuple[str, str | None, str]] = [
        (build, None, name) for build in BUILDS for name in _stub_functions(_stub().body)
    ]
    for class_name, node in _stub_classes().items():
        cases += [
            (build, class_name, name) for build in BUILDS for name in _stub_functions(node.body)
        ]
    return cases


@pytest.mark.parametrize(("build", "owner", "name"), _signature_cases())
def test_stub_signature(build: str, owner: str | None, name: str) -> None:
    """Argument names, types and defaults, and the overloads, as pybind11 declares them."""
    module = _build(build)
    scope = _stub().body if owner is None else _stub_classes()[owner].body
    stubs = _stub_functions(scope)[name]
    function = getattr(module if owner is None else getattr(module, owner), name)
    runtimes = _runtime_signatures(function, name)
    where = f"{owner or build}.{name}"
    assert len(stubs) == len(runtimes), f"{where}: {len(stubs)} stubs, {len(runtimes)} overloads"
    if len(stubs) > 1:
        assert all(ast.unparse(d) == "overload" for s in stubs for d in s.decorator_list), where
    for index, (runtime, stub) in enumerate(zip(runtimes, stubs, strict=True)):
        _compare(runtime, stub, f"{where} #{index + 1}")
