"""Make the in-tree package importable, and give tests a way to skip what
needs the compiled extension when it is not built yet."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

import pytest

_PKG_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "python"))

# The in-tree sources win when the extension was built in place for this
# interpreter (python3 setup.py build_ext --inplace), unless the caller asks
# for the installed package (SQUALL_TEST_INSTALLED=1: scripts/test-python-asan
# and scripts/test-other-pythons, which test what pip installed).
_IN_TREE_BUILT = any(
    os.path.exists(os.path.join(_PKG_ROOT, "squall", "_squall" + suffix))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES
)
if os.environ.get("SQUALL_TEST_INSTALLED") != "1" and (
    _IN_TREE_BUILT or importlib.util.find_spec("squall") is None
):
    sys.path.insert(0, _PKG_ROOT)


def _extension_available() -> bool:
    try:
        import squall._squall  # noqa: F401
    except ImportError:
        # scripts/test sets SQUALL_REQUIRE_EXTENSION=1: there a missing
        # extension is a failure, never a reason to skip.
        if os.environ.get("SQUALL_REQUIRE_EXTENSION") == "1":
            raise
        return False
    return True


HAVE_EXTENSION = _extension_available()

needs_extension = pytest.mark.skipif(not HAVE_EXTENSION, reason="squall._squall is not built")


@pytest.fixture
def make_client():
    """make_client(app) -> a started TestClient, stopped after the test."""
    if not HAVE_EXTENSION:
        pytest.skip("squall._squall is not built")
    from squall.testing import TestClient

    clients: list[TestClient] = []

    def make(app, **kw):
        client = TestClient(app, **kw)
        client.start()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


def subprocess_env() -> dict[str, str]:
    """The environment for a child Python (``python -m squall run``, an app
    file) that must import the same squall these tests import: the in-tree
    package, the installed one, or the sanitized build."""
    import squall

    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(squall.__file__)))
    paths = [pkg_parent] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
