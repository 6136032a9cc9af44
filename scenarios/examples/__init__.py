"""Scenario scripts a newcomer can run and adapt: ``ipmilab scenario run scenarios/examples/NAME.py``."""
