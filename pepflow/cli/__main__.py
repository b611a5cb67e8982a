"""python -m pepflow.cli: the same as the pepflow command."""

from pepflow.cli import run

run()
