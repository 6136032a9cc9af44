"""Worlds built from presets, scenario scripts, and the ``ipmilab`` command line."""
