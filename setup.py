"""The C parts of the Python package (see pyproject.toml): make builds build/epr,
build/libepr.so and build/libepr-reserve.so; they go to bin/ and lib/epr/ of the
environment, where epr.py and ephemeral_port_reserve.py look first (../../../bin/epr and
../../epr/ from site-packages), and where epr looks for its shim (../lib/epr/)."""

import os
import re
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from distutils.command.build_scripts import build_scripts  # setuptools provides it

HERE = os.path.dirname(os.path.abspath(__file__))
C_BUILD = "build"  # the Makefile's B: an editable install's modules use it in place


def make_c_parts():
    jobs = "-j%d" % min(os.cpu_count() or 1, 8)
    subprocess.run(["make", "-C", HERE, "-s", jobs, "B=" + C_BUILD, C_BUILD + "/epr",
                    C_BUILD + "/ephemeral-port-reserve", C_BUILD + "/libepr.so",
                    C_BUILD + "/libepr-reserve.so"], check=True)


class BuildWithC(build_py):
    """build_py runs first in build and in an editable build: the C parts exist before
    build_scripts and install_data copy them."""

    def run(self):
        make_c_parts()
        super().run()


class CopyBinaryScripts(build_scripts):
    """The scripts are ELF files, copied as they are: setuptools would read them as Python
    to rewrite a #! line."""

    def copy_scripts(self):
        self.mkpath(self.build_dir)
        outfiles = []
        for script in self.scripts:
            outfile = os.path.join(self.build_dir, os.path.basename(script))
            self.copy_file(script, outfile)  # a copy of what a symlink names
            os.chmod(outfile, 0o755)
            outfiles.append(outfile)
        return outfiles, outfiles


class NativeDistribution(Distribution):
    """The wheel holds ELF files: it is tagged for this platform and Python, not 'any'."""

    def has_ext_modules(self):
        return True

    def has_data(self):
        """What setuptools' editable build asks (it runs install_data only if this says
        so): without it, `pip install -e .` would leave out lib/epr/."""
        return self.has_data_files()


def version():
    with open(os.path.join(HERE, "debian", "changelog"), encoding="utf-8") as changelog:
        return re.match(r"\S+ \(([^)-]+)", changelog.readline()).group(1)


setup(
    version=version(),
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildWithC, "build_scripts": CopyBinaryScripts},
    # setuptools' own build tree inside the Makefile's, away from its objects
    options={"build": {"build_base": C_BUILD + "/python"},
             "egg_info": {"egg_base": C_BUILD}},
    scripts=[C_BUILD + "/epr", C_BUILD + "/ephemeral-port-reserve"],
    data_files=[("lib/epr", [C_BUILD + "/libepr.so", C_BUILD + "/libepr-reserve.so"])],
)
