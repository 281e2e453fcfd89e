"""The vnsearch command line (``vnsearch.cli``); the library itself is the ``search`` package."""
