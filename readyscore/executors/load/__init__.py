"""Load checks: a headless Locust run in its own process, scored from readyscore's own records.

Importing this package never imports locust (that would monkey-patch the main process with
gevent); Locust runs only in the subprocess that `runner` starts.
"""

from readyscore.executors.load.checks import LoadExecutor

__all__ = ["LoadExecutor"]
