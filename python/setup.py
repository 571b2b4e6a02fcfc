"""Adds `xikernel.pth` to the wheel's top level (site-packages).

Everything else is declared in pyproject.toml. A `.pth` file must sit in
site-packages itself, outside any package, and setuptools has no
declarative way to put a file there; copying it into the build directory
from `build_py` makes it part of the wheel, so pip records it in the
installed RECORD and `pip uninstall xikernel` removes it with the rest.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "xikernel.pth"


class BuildPyWithPth(build_py):
    """`build_py` that also copies `xikernel.pth` to the build root."""

    def run(self) -> None:
        super().run()
        here = os.path.dirname(os.path.abspath(__file__))
        self.copy_file(os.path.join(here, PTH), os.path.join(self.build_lib, PTH),
                       preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
