"""Allow ``python -m vnsearch``."""

from vnsearch.cli import main

main()
