"""`pip install .` builds libebench with CMake and puts libebench.so.2 beside
energy_benchmark.py, which loads it from there (pyproject.toml has the rest).
Everything it builds stays under build-wheel/ ($EBENCH_WHEEL_WORK elsewhere)."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

TOP = os.path.dirname(os.path.abspath(__file__))
WORK = os.environ.get("EBENCH_WHEEL_WORK") or os.path.join(TOP, "build-wheel")
os.makedirs(WORK, exist_ok=True)


class WithLibrary(Distribution):
    def has_ext_modules(self):  # a platform wheel: it carries a shared library
        return True


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        cmake = os.path.join(WORK, "cmake")
        subprocess.check_call(["cmake", "-S", TOP, "-B", cmake, "-DCMAKE_BUILD_TYPE=Release",
                               "-DEBENCH_TESTS=OFF"], stdout=subprocess.DEVNULL)
        subprocess.check_call(["cmake", "--build", cmake, "--target", "ebench", "-j",
                               str(os.cpu_count() or 2)], stdout=subprocess.DEVNULL)
        # the file, not the soname link
        shutil.copyfile(os.path.join(cmake, "libebench.so.2"),
                        os.path.join(self.build_lib, "libebench.so.2"))


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=WithLibrary,
      options={"build": {"build_base": os.path.join(WORK, "setuptools")},
               "egg_info": {"egg_base": WORK}})
