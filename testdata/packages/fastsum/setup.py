# Metadata here, not in pyproject.toml's [project]: the setuptools that
# Python 3.9's venvs come with (58) predates PEP 621.
from setuptools import Extension, setup

setup(
    name="fastsum",
    version="1.0.0",
    description="C extension of the wsgipack example app",
    package_dir={"": "src"},
    packages=["fastsum"],
    ext_modules=[Extension("fastsum._fastsum", ["src/fastsum/_fastsum.c"])],
)
