"""The side-by-side benchmark's machinery; bench/run.py is the entry point."""
