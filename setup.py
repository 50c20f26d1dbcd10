"""Build hook: the compiled message catalogs ship inside the package.

Only the .po files are kept in git; babel compiles them while the package is built, so a
plain `pip install .` from a fresh clone has its Korean and English. Everything else about
the package is in pyproject.toml.
"""
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent


def compile_catalogs(translations: Path) -> None:
    """`pybabel compile -d translations`: each messages.po → messages.mo beside it."""
    if CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(translations)]):
        raise SystemExit(f"the message catalogs in {translations} have errors")


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        # A wheel is made from the build directory (the .po files are copied there as package
        # data); an editable install reads the source tree itself.
        root = SOURCE if self.editable_mode else Path(self.build_lib)
        compile_catalogs(root / "app" / "translations")


setup(cmdclass={"build_py": BuildWithCatalogs})
