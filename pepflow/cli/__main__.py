"""python -m pepflow.cli: the same as the pepflow command."""

from . import run

run()
