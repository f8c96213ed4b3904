"""Executors: the code that measures checks. See base.py for the interface, registry.py for lookup."""
