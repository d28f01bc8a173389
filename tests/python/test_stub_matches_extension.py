"""The type stub _squall.pyi is the contract between the C binding
(src/python/) and the package: mypy checks the package against the stub, so
a name the stub lists that the extension lacks (or the reverse) is a type
check that proves nothing. Compare the two, module level and per class."""

from __future__ import annotations

import ast
import os

from conftest import needs_extension


def _stub_tree() -> ast.Module:
    import squall

    path = os.path.join(os.path.dirname(squall.__file__), "_squall.pyi")
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), filename=path)


def _defined_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _public(names: set[str]) -> set[str]:
    return {n for n in names if not n.startswith("_")}


@needs_extension
def test_module_names_match():
    from squall import _squall

    stub = _defined_names(_stub_tree().body)
    assert _public(stub) == _public(set(dir(_squall)))
    # The one dunder the stub promises.
    assert "__version__" in stub
    assert isinstance(_squall.__version__, str)


@needs_extension
def test_class_members_match():
    from squall import _squall

    classes = [n for n in _stub_tree().body if isinstance(n, ast.ClassDef)]
    assert classes, "the stub declares no class"
    for cls in classes:
        real = getattr(_squall, cls.name)
        assert isinstance(real, type), cls.name
        assert _public(_defined_names(cls.body)) == _public(set(dir(real))), cls.name


def test_defined_names_sees_every_kind_of_definition():
    # The comparison above is only as good as this parser of the stub.
    tree = ast.parse("x: int\ny = 1\ndef f() -> None: ...\nclass C: ...\nasync def g() -> None: ...\n")
    assert _defined_names(tree.body) == {"x", "y", "f", "C", "g"}
