"""Build of the C parts; the metadata lives in pyproject.toml.

- Extension ``squall._squall``: every src/core/*.c (the HTTP engine) plus
  every src/python/*.c (the binding), warnings on (-Wall -Wextra), linked
  with pcre2-8.
- ``squall-server``: src/python/embed/squall_server.c linked against this
  interpreter's libpython (the `python3-config --embed` equivalent from
  sysconfig), installed into the environment's bin/ as a data file.

Build in place for development: ``python3 setup.py build_ext --inplace``
(puts _squall*.so into python/squall/ and squall-server into
build/embed-<cache tag>/, e.g. build/embed-cpython-311/squall-server).
"""

from __future__ import annotations

import os
import sys
import sysconfig
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
# Per interpreter: the binary links that interpreter's libpython.
SERVER_BIN = os.path.join("build", f"embed-{sys.implementation.cache_tag}", "squall-server")
WARN = ["-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes"]


def _rel(pattern: str) -> list[str]:
    # setuptools wants paths relative to setup.py.
    return sorted(os.path.relpath(p, HERE) for p in glob(os.path.join(HERE, pattern)))


class BuildExtAndServer(build_ext):
    """build_ext that also links the embedded-Python squall-server binary."""

    def run(self) -> None:
        super().run()
        self._build_server()

    def _build_server(self) -> None:
        # scripts/test-python-asan builds only the extension (with sanitizer
        # flags that cannot link a standalone binary).
        if os.environ.get("SQUALL_SKIP_SERVER_BINARY") == "1":
            return
        source = os.path.join("src", "python", "embed", "squall_server.c")
        out = os.path.join(HERE, SERVER_BIN)
        if self._up_to_date(source, out):
            return
        cc = self.compiler
        objects = cc.compile(
            [source],
            output_dir=os.path.join(self.build_temp, "embed"),
            include_dirs=[sysconfig.get_path("include")],
            extra_postargs=["-std=c11", "-O2", *WARN],
        )
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        cc.link_executable(
            objects,
            out,
            libraries=[f"python{version}", "dl", "m"],
            library_dirs=[libdir],
            runtime_library_dirs=[libdir] if sysconfig.get_config_var("Py_ENABLE_SHARED") else [],
        )

    @staticmethod
    def _up_to_date(source: str, out: str) -> bool:
        return os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(source)


squall_ext = Extension(
    "squall._squall",
    sources=_rel("src/core/*.c") + _rel("src/python/*.c"),
    include_dirs=["include", "src/core", "src/python"],
    depends=_rel("include/squall/*.h") + _rel("src/core/*.h") + _rel("src/python/*.h"),
    libraries=["pcre2-8", "pthread", "m"],
    define_macros=[("_GNU_SOURCE", "1")],
    extra_compile_args=["-std=c11", "-O2", *WARN],
)

setup(
    ext_modules=[squall_ext],
    cmdclass={"build_ext": BuildExtAndServer},
    data_files=[("bin", [SERVER_BIN])],
)
