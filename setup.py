"""skipperd's packaging: the declarations live in setup.cfg."""

from setuptools import setup

setup()
