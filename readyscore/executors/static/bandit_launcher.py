"""bandit's own command line, with two shortcuts that cannot change what it reports.

Run as a script, `python -P bandit_launcher.py ARGS`: it takes the same arguments as `python -m
bandit` and runs bandit's command-line entry point (bandit.cli.main.main) on them, so the
interface readyscore relies on stays bandit's command line. It imports nothing of readyscore.

The first: for every node and every test, bandit's tester asks which `# nosec` comments cover
the node's lines (`BanditTester._get_nosecs_from_contexts`), walking every line the node spans
(for a string, every line of the statement around it) through the file's table of such comments.
When that table is empty, as it always is under `--ignore-nosec` (readyscore passes it for every
file without a marker), the answer is "no comment" (None) whatever the node: the shortcut returns
that at once. About a twelfth of bandit's time on the standard library. It is applied only when
the installed bandit has the method and attribute it was written against (bandit 1.8.6 to 1.9.x);
otherwise bandit runs unchanged.

The second: bandit's node visitor and tester log three or four debug lines per syntax node
(4.7 million calls on the standard library), each a call that only finds debug logging off. Without
`-d`/`--debug` nothing turns it on, so their loggers' `debug` is made a call that does nothing:
about another twelfth.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Iterable


def skip_empty_nosec_lookups(tester_class: type) -> bool:
    """Make `tester_class._get_nosecs_from_contexts` answer None at once when the tester's table of
    `# nosec` comments is empty. True when applied; False (nothing changed) when the class is not
    shaped as expected."""
    original = getattr(tester_class, "_get_nosecs_from_contexts", None)
    if not callable(original) or "nosec_lines" not in inspect.signature(tester_class.__init__).parameters:
        return False
    if list(inspect.signature(original).parameters) != ["self", "context", "test_result"]:
        return False

    def get_nosecs_from_contexts(self, context, test_result=None):
        if not self.nosec_lines:  # no comment in the file: none covers these lines
            return None
        return original(self, context, test_result)

    tester_class._get_nosecs_from_contexts = get_nosecs_from_contexts
    return True


def asks_for_debug(arguments: list[str]) -> bool:
    """`--debug`, or `-d` alone or among other short options (`-qd`)."""
    return any(arg == "--debug" or (arg.startswith("-") and not arg.startswith("--") and "d" in arg[1:])
               for arg in arguments)


def _ignore(*args: object, **kwargs: object) -> None:
    return None


def mute_debug_logging(modules: Iterable[object], arguments: list[str]) -> bool:
    """Make the modules' `LOG.debug` do nothing, unless the arguments ask for debug output."""
    if asks_for_debug(arguments):
        return False
    loggers = [log for log in (getattr(module, "LOG", None) for module in modules) if isinstance(log, logging.Logger)]
    for logger in loggers:
        logger.debug = _ignore  # type: ignore[method-assign]
    return bool(loggers)


def main() -> None:
    from bandit.cli import main as bandit_cli  # noqa: PLC0415 - after the arguments are in place
    from bandit.core import node_visitor, tester  # noqa: PLC0415

    skip_empty_nosec_lookups(tester.BanditTester)
    mute_debug_logging([node_visitor, tester], sys.argv[1:])
    sys.argv[0] = "bandit"
    bandit_cli.main()


if __name__ == "__main__":
    main()
