from setuptools import Extension, setup

setup(
    package_dir={"": "src"},
    packages=["fastsum"],
    ext_modules=[Extension("fastsum._fastsum", ["src/fastsum/_fastsum.c"])],
)
