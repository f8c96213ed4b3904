"""bandit's own command line, with three shortcuts that cannot change what it reports.

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

The third: bandit's node visitor goes through every syntax node of a file, and for each builds a
context, looks for a `visit_` method, runs the tests registered for the node's type and adds
their scores. For most nodes (names, loads and stores, attributes, assignments: 83 % of the
standard library's 1.2 million) there is no `visit_` method and no test, so all that work ends in
adding zero scores. The shortcut still walks every node in the same order and still sets each
node's `_bandit_parent` and `_bandit_sibling` (which tests read), but skips the context, the
dispatch and the zero scores for those nodes: about a third of bandit's time. The visitor's
methods that this rests on (`pre_visit`, `visit`, `post_visit`, `generic_visit`, `update_scores`)
are checked against the text read in bandit 1.8.6 to 1.9.4 (a hash of their source); any other
text, or debug output asked for (it logs every node), leaves bandit's visitor as it is.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import logging
import sys
import textwrap
from collections.abc import Iterable

# The node visitor's methods that `skip_testless_nodes` replaces or relies on, and the sha256 of
# their source (dedented, concatenated in this order) in the bandit versions read for it: 1.8.6
# to 1.9.4 share one text.
VISITOR_METHODS = ("pre_visit", "visit", "post_visit", "generic_visit", "update_scores")
CHECKED_VISITOR_SOURCES = frozenset({"fb96814fe7f3f365b7c151fa9446736e86dfcf4c856c8fd3411786e6c661c14d"})


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


def visitor_source_digest(visitor_class: type) -> str | None:
    """sha256 of the source of the visitor's VISITOR_METHODS; None when it cannot be read."""
    try:
        text = "".join(textwrap.dedent(inspect.getsource(getattr(visitor_class, name))) for name in VISITOR_METHODS)
    except (AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def skip_testless_nodes(visitor_class: type, arguments: list[str]) -> bool:
    """Make the visitor walk past nodes whose type has no `visit_` method and no registered test,
    in the same order and setting the same parent and sibling links. True when applied; False
    (nothing changed) when debug output is asked for or the visitor's text is not the one read."""
    if asks_for_debug(arguments) or visitor_source_digest(visitor_class) not in CHECKED_VISITOR_SOURCES:
        return False
    original = visitor_class.generic_visit
    by_method = frozenset(name.removeprefix("visit_") for name in dir(visitor_class) if name.startswith("visit_"))

    def node_types_to_visit(visitor) -> frozenset[str] | None:
        """The node type names that have a `visit_` method or a test in this visitor's test set;
        None when the test set is not a mapping of type names to tests (then nothing is skipped)."""
        tests = getattr(getattr(getattr(visitor, "tester", None), "testset", None), "tests", None)
        if not isinstance(tests, dict):
            return None
        return by_method | {kind for kind, registered in tests.items() if registered}

    def generic_visit(self, node):
        wanted = self.__dict__.get("_readyscore_wanted", False)
        if wanted is False:
            wanted = self._readyscore_wanted = node_types_to_visit(self)
        if wanted is None:
            return original(self, node)
        # bandit's generic_visit, with the per-node work done only for the wanted types (and the
        # fields read as ast.iter_fields reads them, without a generator per node: a missing
        # field is skipped either way). Its two branches, a list field and a single node, stay
        # apart as in bandit: folding them into one loop over (item, sibling) pairs cost 3-5 % of
        # bandit's CPU on the standard library (7.4-7.7 s against 7.8-7.9 s, alternated three times).
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                last = len(value) - 1
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        item._bandit_sibling = value[index + 1] if index < last else None
                        item._bandit_parent = node
                        if item.__class__.__name__ not in wanted:
                            self.generic_visit(item)
                        elif self.pre_visit(item):
                            self.visit(item)
                            self.generic_visit(item)
                            self.post_visit(item)
            elif isinstance(value, ast.AST):
                value._bandit_sibling = None
                value._bandit_parent = node
                if value.__class__.__name__ not in wanted:
                    self.generic_visit(value)
                elif self.pre_visit(value):
                    self.visit(value)
                    self.generic_visit(value)
                    self.post_visit(value)
        return None

    visitor_class.generic_visit = generic_visit
    return True


def main() -> None:
    from bandit.cli import main as bandit_cli  # noqa: PLC0415 - after the arguments are in place
    from bandit.core import node_visitor, tester  # noqa: PLC0415

    skip_empty_nosec_lookups(tester.BanditTester)
    mute_debug_logging([node_visitor, tester], sys.argv[1:])
    skip_testless_nodes(node_visitor.BanditNodeVisitor, sys.argv[1:])
    sys.argv[0] = "bandit"
    bandit_cli.main()


if __name__ == "__main__":
    main()
