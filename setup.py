"""Build: the model's hot modules compiled to C with mypyc where a C compiler exists.

Everything else lives in pyproject.toml. The compiled modules run the same code as their
sources (the same results, bit for bit); the build falls back to pure Python, with a warning,
when mypyc or a C compiler is missing, when compiling fails, or with SIMCHAIN_COMPILE=0. The
modules compiled, with the SHA-256 of the source each was built from, are written to
`simchain/model/compiled.txt`: `simchain.model` runs from the sources whenever one of them has
changed since the build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
COMPILED = [
    "agenda",
    "carriers",
    "customers",
    "floor",
    "picking",
    "receiving",
    "replenishment",
    "returns",
    "stations",
    "transport",
    "warehouses",
]
RECORD = "compiled.txt"


def _wanted() -> bool:
    """Compile unless told not to or no C compiler is found."""
    if os.environ.get("SIMCHAIN_COMPILE", "1") == "0":
        return False
    cc = os.environ.get("CC") or str(sysconfig.get_config_var("CC") or "cc")
    if shutil.which(cc.split()[0]) is None:
        print("simchain: no C compiler found; installing pure Python", file=sys.stderr)
        return False
    return True


class MaybeCompiled(Distribution):
    """A platform build when compiling (the extensions are made only by build_ext)."""

    def has_ext_modules(self) -> bool:
        return _wanted()


class BuildWithFallback(build_ext):
    """Compile where possible; any failure leaves a working pure-Python install. The
    extensions are made here, not when setup.py is read, so metadata steps stay quick."""

    def finalize_options(self) -> None:
        dist = self.distribution
        if _wanted() and not dist.ext_modules:  # once per build, however often finalised
            dist.compiled_sources = self._sources()  # read first: what the code will be
            dist.ext_modules = self._extensions()
        super().finalize_options()

    @staticmethod
    def _extensions() -> list:
        paths = [f"simchain/model/{name}.py" for name in COMPILED]
        # The project's type-checking settings need pydantic's plugin; compiling needs none
        # of them; third-party types it cannot see are compiled as dynamic (Any).
        options = ["--config-file", "", "--ignore-missing-imports", "--follow-imports", "silent"]
        try:
            from mypyc.build import mypycify

            return mypycify([*options, *paths], opt_level="3", group_name="simchain.model.native")
        except (Exception, SystemExit) as exc:  # no mypyc, or a type error
            print(f"simchain: not compiled ({exc}); installing pure Python", file=sys.stderr)
            return []

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as exc:  # a compiler or linker failure
            print(f"simchain: not compiled ({exc}); installing pure Python", file=sys.stderr)
            return
        self._record(getattr(self.distribution, "compiled_sources", ""))

    @staticmethod
    def _sources() -> str:
        lines = []
        for name in COMPILED:
            digest = hashlib.sha256((HERE / "simchain/model" / f"{name}.py").read_bytes())
            lines.append(f"{name} {digest.hexdigest()}\n")
        return "".join(lines)

    def _record(self, sources: str) -> None:
        """Which modules were compiled, from which source (the import-time staleness check)."""
        if not sources:
            return
        base = HERE if self.inplace else Path(self.build_lib)
        target = base / "simchain" / "model" / RECORD
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(sources)


setup(distclass=MaybeCompiled, cmdclass={"build_ext": BuildWithFallback})
