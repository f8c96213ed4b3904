"""LLM-service hazards found in the syntax tree (not by matching text).

One walk over a parsed module finds every hazard kind; each finding names its kind, line and what
was seen. The kinds, and what makes their safe twin safe:

- cors-wildcard: CORS open to any origin (`allow_origins=["*"]`, flask-cors with no origins, a
  literal `Access-Control-Allow-Origin: *`); worse with credentials. Safe: listed origins.
- debug-mode: debug switched on by a literal (`app.run(debug=True)`, `FastAPI(debug=True)`,
  `app.debug = True`, `DEBUG = True` in settings). Safe: read from configuration.
- http-timeout: outbound HTTP that can wait forever or for minutes: requests without `timeout`,
  httpx with `timeout=None`, aiohttp sessions and OpenAI/Anthropic clients without a timeout
  (their defaults are 5 and 10 minutes), `urlopen` without one. Safe: a timeout set.
- sql-injection: SQL built by formatting (f-string, %, +, .format) passed to execute/text/read_sql,
  directly or through a variable. Safe: bound parameters, and formatted parts that are the
  service's own literals (sql_text.py).
- unsafe-deserialization: pickle/dill/joblib/marshal/shelve loads, `yaml.load` without a safe
  loader, `torch.load` without `weights_only=True`, `numpy.load(allow_pickle=True)`.
- eval-request-data: eval/exec of data that comes from the request or from model output.
- bind-all-interfaces: a server started from the code on every interface (Flask's `app.run(host=
  "0.0.0.0")`, `uvicorn.run(host="0.0.0.0")`, the standard library's HTTP servers). Safe: the
  address given on the server's command line (a container's CMD) or loopback.
- exception-leak: an error answer that carries the exception's own text or a traceback to the
  client: in an `except ... as exc:` block or an exception handler, `HTTPException(500,
  detail=str(exc))`, `JSONResponse({"error": f"{exc}"})`, `jsonify(error=repr(exc))`, a route
  returning `{"error": str(exc)}`, a streamed generator (`StreamingResponse(gen())`, also through
  `g = worker.gen(); StreamingResponse(g)`) yielding `f"...{exc}"`, or `traceback.format_exc()` in
  any answer. Safe: a fixed message
  (the exception logged, not sent), or a client error (a literal 4xx status) whose text the
  service wrote for the client.
- blocking-in-async: a synchronous call (requests, a sync OpenAI client, `time.sleep` ...) inside an
  `async def` request handler, which holds the event loop (blocking.py). Safe: an async handler
  without one.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from readyscore.executors.static.blocking import KIND as BLOCKING_KIND
from readyscore.executors.static.blocking import find_blocking
from readyscore.executors.static.pyfacts import Aliases, Nodes, dotted
from readyscore.executors.static.sql_text import ConstantText
from readyscore.executors.static.wiring_facts import relative_names

HAZARDS = ("cors-wildcard", "debug-mode", "http-timeout", "sql-injection", "unsafe-deserialization",
           "eval-request-data", "bind-all-interfaces", "exception-leak", BLOCKING_KIND)
MAX_PER_FILE = 50

HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
LLM_CLIENTS = {"openai.OpenAI", "openai.AsyncOpenAI", "openai.AzureOpenAI", "openai.AsyncAzureOpenAI",
               "anthropic.Anthropic", "anthropic.AsyncAnthropic", "anthropic.AnthropicBedrock",
               "anthropic.AnthropicVertex", "anthropic.AsyncAnthropicBedrock", "anthropic.AsyncAnthropicVertex"}
PICKLE_LOADS = {"pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads", "cPickle.load",
                "cPickle.loads", "dill.load", "dill.loads", "joblib.load", "marshal.load", "marshal.loads",
                "shelve.open", "pandas.read_pickle", "jsonpickle.decode", "cloudpickle.load", "cloudpickle.loads"}
FLASK_CORS_CALLS = ("flask_cors.CORS", "flask_cors.cross_origin")
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}
SQLALCHEMY_TEXT = ("sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text")
SQL_SINKS = {"execute", "executemany", "executescript", "raw", "read_sql", "read_sql_query", "exec_driver_sql"}
SQL_WORDS = re.compile(r"(?i)\b(select|insert\s+into|update|delete\s+from|create\s+table|drop\s+table|alter\s+table|"
                       r"where|values|replace\s+into|merge\s+into)\b")
WILDCARD_REGEXES = {".*", "^.*$", ".+", "^.+$", "*", "^.*", "https?://.*"}
ANY_HOST = {"0.0.0.0", "::", ""}  # nosec B104 - the values the hazard check looks for, not a bind
DEBUG_CALLS = {"run", "FastAPI", "Starlette", "Quart", "Sanic", "run_simple", "Application", "Flask"}
STDLIB_SERVERS = {"http.server.HTTPServer", "http.server.ThreadingHTTPServer", "socketserver.TCPServer",
                  "socketserver.ThreadingTCPServer", "wsgiref.simple_server.make_server"}
REQUEST_ATTRS = {"args", "form", "json", "data", "values", "files", "GET", "POST", "body", "query_params",
                 "path_params", "cookies", "headers", "get_json", "query", "match_info", "text"}
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"}
# What an error answer is built with: raising or returning one of these sends its content to the client.
ANSWER_BUILDERS = {"HTTPException", "JSONResponse", "PlainTextResponse", "HTMLResponse", "Response", "ORJSONResponse",
                   "UJSONResponse", "jsonify", "make_response", "abort", "HttpResponse", "JsonResponse",
                   "HttpResponseServerError", "APIException", "StreamingResponse"}
# What streams a generator's output to the client as the answer's body.
STREAM_BUILDERS = {"StreamingResponse", "EventSourceResponse", "stream_with_context", "Response"}
# Where an answer builder comes from: a web framework's `Response` builds an HTTP answer, a
# project's own `Response` dataclass (lmdeploy's pipeline puts one on a queue) does not.
WEB_FRAMEWORKS = {"fastapi", "starlette", "flask", "werkzeug", "django", "rest_framework", "aiohttp", "sanic",
                  "quart", "litestar", "tornado", "falcon", "bottle", "sse_starlette"}
HANDLER_DECORATORS = {"exception_handler", "errorhandler", "app_errorhandler", "register_error_handler"}
# Exceptions whose text the service (or its framework) wrote for the client.
CLIENT_ERRORS = {"HTTPException", "StarletteHTTPException", "RequestValidationError", "ValidationError",
                 "WebSocketException", "BadRequest", "NotFound", "Forbidden", "Unauthorized", "PermissionDenied"}
INSIDE_KEYWORDS = ("internal", "log", "debug", "private")
TRACEBACK_TEXT = {"traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
                  "traceback.print_exc"}


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _has_star_kwargs(call: ast.Call) -> bool:
    return any(keyword.arg is None for keyword in call.keywords)


def _is_const(node: ast.AST | None, value: Any) -> bool:
    """A literal of exactly this value and type (so `1` is not `True`)."""
    return isinstance(node, ast.Constant) and type(node.value) is type(value) and node.value == value


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _tail(node: ast.AST) -> str:
    name = dotted(node) or ""
    return name.rsplit(".", 1)[-1]


def _const_str_parts(node: ast.AST) -> str:
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _formatted_parts(node: ast.AST) -> list[ast.AST] | None:
    """What formatting puts into a string (None: no formatting): the values of an f-string, the
    non-literal operands of `%` and `+`, the arguments of `"...".format()`."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)] or None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        if isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant):
            return None
        if not any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node)):
            return None
        return [node]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and (node.args or node.keywords):
        return [*node.args, *(k.value for k in node.keywords)]
    return None


def dynamic_sql(node: ast.AST, constant: Callable[[ast.AST], bool]) -> bool:
    """A string built by formatting, whose literal parts look like SQL, and something outside the
    service's own constant text goes into it (`constant`: sql_text.ConstantText at this line)."""
    parts = _formatted_parts(node)
    return bool(parts) and bool(SQL_WORDS.search(_const_str_parts(node))) and not all(constant(p) for p in parts)


class _Finder:
    def __init__(self, aliases: Aliases, constant_text: ConstantText):
        self.aliases = aliases
        self.constant_text = constant_text
        # (the function it is in, a name) -> the line where formatted SQL was assigned to that name:
        # a `sql` formatted in one function says nothing of the `sql` another function executes.
        self.sql_vars: dict[tuple[int, str], int] = {}
        self.found: list[dict[str, Any]] = []
        self.sessions: set[str] = set()  # names bound to requests.Session()
        self.safe_loaders: set[str] = set()  # this module's subclasses of yaml.SafeLoader
        # Safe twins seen, per hazard kind (the first line): a pass on http-timeout needs one, as no
        # outbound call at all is nothing to judge, not a timeout.
        self.sighted: dict[str, tuple[int, str]] = {}

    def constant_at(self, node: ast.AST) -> Callable[[ast.AST], bool]:
        return lambda expr: self.constant_text.constant(expr, node.lineno)

    def _function_of(self, node: ast.AST) -> int:
        return id(self.constant_text.function_at(node.lineno))

    def sql_assigned(self, node: ast.Assign) -> None:
        """Remember `q = f"SELECT ... {x}"`: an `execute(q)` in the same function reports it."""
        if dynamic_sql(node.value, self.constant_at(node)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.sql_vars[(self._function_of(node), target.id)] = node.lineno

    def sight(self, hazard: str, node: ast.AST, message: str) -> None:
        self.sighted.setdefault(hazard, (getattr(node, "lineno", 0), message))

    def add(self, hazard: str, node: ast.AST, message: str, severity: str | None = None) -> None:
        if len(self.found) < MAX_PER_FILE:
            entry = {"hazard": hazard, "line": getattr(node, "lineno", 0), "message": message}
            if severity:
                entry["severity"] = severity
            self.found.append(entry)

    # -- calls ----------------------------------------------------------------------------------
    def call(self, node: ast.Call) -> None:
        qual = self.aliases.qualify(node.func) or ""
        tail = _tail(node.func)
        self._cors_call(node, qual)
        self._debug_call(node, qual, tail)
        self._timeout_call(node, qual, tail)
        self._sql_call(node, qual, tail)
        self._deserialize_call(node, qual)
        self._bind_call(node, qual, tail)

    def _cors_call(self, node: ast.Call, qual: str) -> None:
        if not node.keywords and qual not in FLASK_CORS_CALLS:
            return  # every case below reads a keyword argument, but flask-cors's default
        credentials = _is_const(_kw(node, "allow_credentials"), True) or _is_const(_kw(node, "supports_credentials"), True)
        worse = " with credentials allowed" if credentials else ""
        origins = _kw(node, "allow_origins")
        regex = _kw(node, "allow_origin_regex")
        if "*" in _strings(origins) or any(s in WILDCARD_REGEXES for s in _strings(regex)):
            self.add("cors-wildcard", node, f"CORS allows any origin{worse}", "high" if credentials else None)
            return
        if qual in FLASK_CORS_CALLS:
            given = _kw(node, "origins")
            resources = _kw(node, "resources")
            if given is None and resources is None and not _has_star_kwargs(node):
                self.add("cors-wildcard", node, f"flask-cors without origins allows any origin{worse}",
                         "high" if credentials else None)
            elif "*" in _strings(given):
                self.add("cors-wildcard", node, f"flask-cors origins='*'{worse}", "high" if credentials else None)
            elif isinstance(resources, ast.Dict):
                for value in resources.values:
                    if isinstance(value, ast.Dict):
                        keys = {k.value: v for k, v in zip(value.keys, value.values) if isinstance(k, ast.Constant)}
                        if "origins" not in keys or "*" in _strings(keys.get("origins")):
                            self.add("cors-wildcard", node, f"flask-cors resource open to any origin{worse}",
                                     "high" if credentials else None)
                            break

    def _debug_call(self, node: ast.Call, qual: str, tail: str) -> None:
        if qual.startswith("asyncio."):
            return  # asyncio.run(debug=True) is event-loop debugging, not a web debugger
        if tail in DEBUG_CALLS and (_is_const(_kw(node, "debug"), True) or _is_const(_kw(node, "use_debugger"), True)):
            self.add("debug-mode", node, f"{tail}(debug=True): debug mode switched on by a literal")
        elif tail == "update" and isinstance(node.func, ast.Attribute) and _tail(node.func.value) == "config" \
                and _is_const(_kw(node, "DEBUG"), True):
            self.add("debug-mode", node, "config.update(DEBUG=True)")

    def _timeout_call(self, node: ast.Call, qual: str, tail: str) -> None:
        if _has_star_kwargs(node):
            return  # the timeout may well be in **kwargs
        timeout = _kw(node, "timeout")
        receiver = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None
        guarded = timeout is not None and not _is_const(timeout, None)
        if guarded and (qual.startswith(("requests.", "httpx.", "aiohttp.", "urllib.request.")) or qual in LLM_CLIENTS
                        or receiver in self.sessions):
            self.sight("http-timeout", node, f"{qual or tail}(timeout=...)")
        elif qual in ("httpx.Timeout", "aiohttp.ClientTimeout") and not _is_const(_kw(node, "total"), None):
            self.sight("http-timeout", node, f"{qual}(...)")
        if (qual.startswith("requests.") and tail in HTTP_VERBS) or (receiver in self.sessions and tail in HTTP_VERBS):
            if timeout is None:
                self.add("http-timeout", node, f"requests .{tail}() without a timeout waits forever on a stalled server")
            elif _is_const(timeout, None):
                self.add("http-timeout", node, f"requests .{tail}(timeout=None) waits forever")
        elif qual.startswith("httpx.") and _is_const(timeout, None):
            self.add("http-timeout", node, f"{qual}(timeout=None) switches httpx's timeout off")
        elif qual == "aiohttp.ClientSession" and timeout is None:
            self.add("http-timeout", node, "aiohttp.ClientSession() without a timeout: 5 minutes per request")
        elif qual == "aiohttp.ClientTimeout" and (not node.args and not node.keywords or _is_const(_kw(node, "total"), None)):
            self.add("http-timeout", node, "aiohttp.ClientTimeout without a total limit")
        elif qual in LLM_CLIENTS:
            if timeout is None:
                self.add("http-timeout", node, f"{qual}() without a timeout: the SDK waits up to 10 minutes")
            elif _is_const(timeout, None):
                self.add("http-timeout", node, f"{qual}(timeout=None) waits forever")
        elif qual == "urllib.request.urlopen" and timeout is None and len(node.args) < 3:
            self.add("http-timeout", node, "urlopen() without a timeout waits forever")

    def _sql_call(self, node: ast.Call, qual: str, tail: str) -> None:
        """SQL built by formatting reaching execute()/text()/...: written in the call, or through a
        variable assigned in the same function (sql_assigned, which runs first)."""
        if not (tail in SQL_SINKS or qual in SQLALCHEMY_TEXT) or not node.args:
            return
        query = node.args[0]
        if isinstance(query, ast.Name):
            assigned = self.sql_vars.get((self._function_of(node), query.id))
            if assigned is not None:
                self.add("sql-injection", node, f"SQL built by string formatting (line {assigned}) passed to {tail}()")
        elif dynamic_sql(query, self.constant_at(node)):
            self.add("sql-injection", node, f"SQL built by string formatting passed to {tail}()")

    def _deserialize_call(self, node: ast.Call, qual: str) -> None:
        if qual in PICKLE_LOADS:
            self.add("unsafe-deserialization", node, f"{qual}() runs code from the data it loads")
        elif qual in ("yaml.load", "yaml.load_all"):
            loader = _kw(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or _tail(loader) not in SAFE_YAML_LOADERS | self.safe_loaders:
                self.add("unsafe-deserialization", node, f"{qual}() without a safe loader; use yaml.safe_load")
        elif qual in ("yaml.unsafe_load", "yaml.unsafe_load_all"):
            self.add("unsafe-deserialization", node, f"{qual}() constructs arbitrary Python objects")
        elif qual == "torch.load" and not _is_const(_kw(node, "weights_only"), True):
            self.add("unsafe-deserialization", node, "torch.load() without weights_only=True unpickles arbitrary code")
        elif qual in ("numpy.load",) and _is_const(_kw(node, "allow_pickle"), True):
            self.add("unsafe-deserialization", node, "numpy.load(allow_pickle=True) unpickles arbitrary code")

    def _bind_call(self, node: ast.Call, qual: str, tail: str) -> None:
        host = _kw(node, "host")
        if host is None and tail == "run" and node.args and isinstance(node.args[0], ast.Constant):
            host = node.args[0]
        host_any = isinstance(host, ast.Constant) and host.value in ANY_HOST and host.value is not None
        if tail == "run" and host_any:
            if qual.startswith("uvicorn"):
                dev = " with reload (a development server)" if _is_const(_kw(node, "reload"), True) else ""
                self.add("bind-all-interfaces", node, f"uvicorn.run(host={host.value!r}){dev} binds every interface "
                                                      "from the code; production servers take the address from "
                                                      "their command line or configuration")
            elif not qual.startswith(("gunicorn", "hypercorn", "waitress")):
                self.add("bind-all-interfaces", node, f"development server .run(host={host.value!r}) on every interface")
        elif qual in STDLIB_SERVERS and node.args:
            first = node.args[0]
            address = first.elts[0] if isinstance(first, ast.Tuple) and first.elts else first
            if isinstance(address, ast.Constant) and address.value in ANY_HOST:
                self.add("bind-all-interfaces", node, f"{qual} on every interface")

    # -- assignments ----------------------------------------------------------------------------
    def assign(self, targets: list[ast.expr], value: ast.expr, module_level: bool) -> None:
        for target in targets:
            if isinstance(value, ast.Call) and self.aliases.qualify(value.func) in ("requests.Session", "requests.session"):
                name = dotted(target)
                if name:
                    self.sessions.add(name)
            if _is_const(value, True):
                if isinstance(target, ast.Attribute) and target.attr == "debug":
                    self.add("debug-mode", target, f"{dotted(target)} = True")
                elif (isinstance(target, ast.Subscript) and _tail(target.value) == "config"
                      and _is_const(target.slice, "DEBUG")):
                    self.add("debug-mode", target, "config['DEBUG'] = True")
                elif module_level and isinstance(target, ast.Name) and target.id == "DEBUG" and self.is_settings:
                    self.add("debug-mode", target, "DEBUG = True in the settings module")
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                    and str(target.slice.value).lower() == "access-control-allow-origin" and _is_const(value, "*"):
                self.add("cors-wildcard", target, "Access-Control-Allow-Origin: * set by hand")

    is_settings = False  # a Django-style settings module, where DEBUG = True means debug mode


def _route_params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters of a web handler: everything the client sends (FastAPI/Flask route arguments)."""
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _tail(target) in ROUTE_DECORATORS:
            return {a.arg for a in [*func.args.args, *func.args.kwonlyargs]} - {"self", "request", "db", "session"}
    return set()


def _is_source(node: ast.AST) -> str | None:
    """Request data or model output, seen from an expression."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute):
            name = dotted(sub) or ""
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] in ("request", "req") and parts[1] in REQUEST_ATTRS:
                return "request data"
            if sub.attr in ("content", "text") and ("choices" in parts or "message" in parts):
                return "model output"
            if sub.attr in ("output_text", "completion"):
                return "model output"
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and dotted(sub.func.value) in ("request", "req") and sub.func.attr in ("json", "body", "get_json", "form"):
            return "request data"
    return None


def _eval_in_function(func: ast.FunctionDef | ast.AsyncFunctionDef, finder: _Finder) -> None:
    tainted: dict[str, str] = {name: "request data" for name in _route_params(func)}
    assigns = [n for n in ast.walk(func) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr))]
    for _ in range(3):  # a short fixed point: x = request.args; y = x["q"]; eval(y)
        for node in assigns:
            value = node.value
            if value is None:
                continue
            why = _is_source(value) or next((tainted[n.id] for n in ast.walk(value)
                                             if isinstance(n, ast.Name) and n.id in tainted), None)
            if why:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            tainted.setdefault(name.id, why)
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec") \
                and node.args:
            why = _is_source(node.args[0]) or next((tainted[n.id] for n in ast.walk(node.args[0])
                                                    if isinstance(n, ast.Name) and n.id in tainted), None)
            if why:
                finder.add("eval-request-data", node, f"{node.func.id}() of {why}")


def _status_literal(call: ast.Call) -> int | None:
    """The status an answer is built with, when it is a literal (`HTTPException(500, ...)`,
    `status_code=400`, `abort(404, ...)`, `status.HTTP_400_BAD_REQUEST`)."""
    # A leading integer is the status for HTTPException, abort and helpers such as
    # create_error_response(400, ...); a response's leading argument is its content, never an int.
    candidates = [call.args[0] if call.args else None, _kw(call, "status_code"), _kw(call, "status"), _kw(call, "code")]
    if _tail(call.func) == "make_response" and len(call.args) > 1:  # Flask: make_response(body, 400)
        candidates.insert(0, call.args[1])
    for node in candidates:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        name = _tail(node) if node is not None else ""
        match = re.match(r"HTTP_(\d{3})_", name)
        if match:
            return int(match.group(1))
        if name in HTTPStatus.__members__ and "HTTPStatus" in (dotted(node) or ""):  # HTTPStatus.BAD_REQUEST
            return HTTPStatus[name].value
    return None


def _client_error(call: ast.Call) -> bool:
    """An answer built with a literal 4xx status: its text was written for the client."""
    status = _status_literal(call)
    return status is not None and 400 <= status < 500


class _LeakFinder:
    """Exception text carried into an error answer (see exception-leak in the module docstring)."""

    def __init__(self, aliases: Aliases, finder: _Finder, project_names: set[str]):
        self.aliases, self.finder = aliases, finder
        self.project_names = project_names  # names imported from the project itself (relative imports)

    def _builds_answer(self, func: ast.AST) -> bool:
        """An answer builder by name, unless it is known to come from outside the web frameworks."""
        if _tail(func) not in ANSWER_BUILDERS:
            return False
        qualified = self.aliases.qualify(func)
        if qualified is not None:
            return qualified.split(".")[0] in WEB_FRAMEWORKS
        return (dotted(func) or "").split(".")[0] not in self.project_names

    def _carries(self, node: ast.AST, names: set[str]) -> str | None:
        """What of the exception this expression carries to the client, if anything. Its type
        (`type(exc).__name__`, `isinstance`) and its status (`exc.status_code`) are not its text."""
        if isinstance(node, ast.Call):
            if (self.aliases.qualify(node.func) or "") in TRACEBACK_TEXT:
                return "a traceback"
            if _tail(node.func) in ("type", "isinstance", "hasattr", "len"):
                return None
        if isinstance(node, ast.Attribute) and node.attr in ("status_code", "code", "status", "__class__"):
            return None
        if isinstance(node, ast.Name) and node.id in names:
            return "the exception's text"
        for child in ast.iter_child_nodes(node):
            if found := self._carries(child, names):
                return found
        return None

    def _answers(self, body: list[ast.stmt], names: set[str], in_route: bool, streamed: bool = False,
                 broad: bool = False) -> None:
        """`broad`: the block catches any exception (`except Exception`), whose text nobody wrote for
        the client, so a 4xx status on the answer does not make it a client error."""
        # The status an inner builder's answer goes out with: `make_response(jsonify(...), 400)`,
        # `return jsonify(...), 400`.
        enclosing: dict[int, int] = {}
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and _tail(node.func) == "make_response" and node.args:
                    status = _status_literal(node)
                    if status is not None:
                        enclosing[id(node.args[0])] = status
                elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) > 1 \
                        and isinstance(node.value.elts[1], ast.Constant) and isinstance(node.value.elts[1].value, int):
                    enclosing[id(node.value.elts[0])] = node.value.elts[1].value

        def client_error(call: ast.Call) -> bool:
            return not broad and (_client_error(call) or 400 <= enclosing.get(id(call), 0) < 500)

        # `ret = {"text": f"...({e})"}; yield json.dumps(ret)`: names the block fills with its text.
        as_text = {target.id for stmt in body if streamed and isinstance(stmt, ast.Assign)
                   and self._as_text(stmt.value, names) for target in stmt.targets if isinstance(target, ast.Name)}
        for stmt in body:
            for node in ast.walk(stmt):
                if streamed and isinstance(node, ast.Yield) and node.value is not None:
                    carried = self._carries(node.value, set()) or ("the exception's text" if (
                        self._as_text(node.value, names) or self._carries(node.value, as_text)) else None)
                    if carried:
                        self.finder.add("exception-leak", node, f"the streamed answer yields {carried} to the "
                                                                "client; log it and send a fixed message")
                elif isinstance(node, ast.Call) and self._builds_answer(node.func):
                    carried = self._carries(node, names)
                    if carried and (carried == "a traceback" or not client_error(node)):
                        self.finder.add("exception-leak", node, f"{_tail(node.func)}(...) sends {carried} to the "
                                                                "client; log it and answer a fixed message")
                elif in_route and isinstance(node, ast.Return) and isinstance(node.value, (ast.Dict, ast.JoinedStr)):
                    carried = self._carries(node.value, names)
                    if carried:
                        self.finder.add("exception-leak", node, f"the route returns {carried} to the client; log "
                                                                "it and answer a fixed message")
                elif in_route and isinstance(node, ast.Return) and isinstance(node.value, ast.Call) \
                        and not self._builds_answer(node.value.func) and self._as_text(node.value, names) \
                        and not client_error(node.value):
                    # `return create_error_response(500, str(exc))`: the exception turned into text and
                    # handed to whatever builds the route's answer (the object alone may be logged).
                    self.finder.add("exception-leak", node, f"the route returns {_tail(node.value.func)}(...) built "
                                                            "from the exception's text; log it and answer a fixed "
                                                            "message")

    @staticmethod
    def _as_text(node: ast.AST, names: set[str]) -> bool:
        """The exception turned into text: str(exc), repr(exc), f"...{exc}", "%s" % exc, exc.args."""
        def named(expr: ast.AST) -> bool:
            return isinstance(expr, ast.Name) and expr.id in names
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("str", "repr") \
                    and sub.args and named(sub.args[0]):
                return True
            if isinstance(sub, ast.FormattedValue) and named(sub.value):
                return True
            if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Mod) and any(named(n) for n in ast.walk(sub.right)):
                return True
            if isinstance(sub, ast.Attribute) and sub.attr == "args" and named(sub.value):
                return True
        return False

    def run(self, functions: list[ast.FunctionDef | ast.AsyncFunctionDef], nodes: Nodes) -> None:
        """Exception handlers, then every `except` block of the module (from the shared node index,
        so only route functions are walked again: to know which blocks a route's answer comes from)."""
        in_routes: set[int] = set()
        for func in functions:
            decorators = {_tail(d.func if isinstance(d, ast.Call) else d) for d in func.decorator_list}
            handled = [arg for d in func.decorator_list if isinstance(d, ast.Call)
                       and _tail(d.func) in HANDLER_DECORATORS for arg in d.args[:1]]
            # An exception handler: its last parameter is the exception, unless it handles HTTPException
            # or validation errors, whose text was written for the client.
            if handled and not all(_tail(arg) in CLIENT_ERRORS for arg in handled):
                params = [a.arg for a in func.args.args if a.arg not in ("self", "request", "req")]
                before = len(self.finder.found)
                self._answers(func.body, set(params[-1:]), in_route=True)
                if len(handled) == 1:
                    # A class of the project's own may carry only text its raisers wrote for the
                    # client; the check decides that across the service (raised_with_text).
                    for finding in self.finder.found[before:]:
                        finding["handled"] = _tail(handled[0])
            elif decorators & ROUTE_DECORATORS:
                in_routes.update(id(n) for n in ast.walk(func) if isinstance(n, ast.ExceptHandler))
        in_streams = {id(n) for func in self._streamed_generators(functions, nodes)
                      for n in ast.walk(func) if isinstance(n, ast.ExceptHandler)}
        self._by_name: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for func in functions:
            self._by_name.setdefault(func.name, []).append(func)
        for block in nodes.of(ast.ExceptHandler):
            if not self._client_errors(block.type):  # unnamed blocks: only tracebacks can leak
                names = self._through_calls(block.body, {block.name}) if block.name else set()
                self._answers(block.body, names, id(block) in in_routes,
                              streamed=id(block) in in_streams, broad=self._broad(block.type))

    def _through_calls(self, body: list[ast.stmt], names: set[str]) -> set[str]:
        """`names`, and the names the block binds from a call of this module's own function that
        returns the exception's text (`status, message = self.error_message_wrapper(error=exc)`,
        whose fallback returns `ErrorResponse(message=str(error))`): that text is as much the
        exception's as `str(exc)` is."""
        found = set(names)
        for stmt in body:
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                continue
            call = stmt.value
            if not self._returns_text_of(call, names):
                continue
            for target in stmt.targets:
                found |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        return found

    def _returns_text_of(self, call: ast.Call, names: set[str]) -> bool:
        """The call hands the exception to a function of this module that returns its text."""
        def named(expr: ast.AST) -> bool:
            return isinstance(expr, ast.Name) and expr.id in names
        given = [i for i, arg in enumerate(call.args) if named(arg)]
        keywords = {k.arg for k in call.keywords if k.arg and named(k.value)}
        if not given and not keywords:
            return False
        for func in self._by_name.get(_tail(call.func), []):
            params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
            if isinstance(call.func, ast.Attribute) and params[:1] in (["self"], ["cls"]):
                params = params[1:]  # a method called through its instance or class
            receiving = {params[i] for i in given if i < len(params)} | (keywords & {
                a.arg for a in [*func.args.args, *func.args.kwonlyargs]})
            if receiving and any(isinstance(node, ast.Return) and node.value is not None
                                 and self._as_text(node.value, receiving) for node in ast.walk(func)):
                return True
        return False

    @staticmethod
    def _streamed_generators(functions: list[ast.FunctionDef | ast.AsyncFunctionDef],
                             nodes: Nodes) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Generators of this module whose output becomes an answer's body: called inside a stream
        builder (`StreamingResponse(gen(...))`), or called into a name the builder streams
        (`g = worker.generate_stream(p); return StreamingResponse(g)`). Matched by the called name's
        last part, so a method reached through its instance counts."""
        called_into: dict[str, set[str]] = {}
        for assign in nodes.of(ast.Assign):
            if isinstance(assign.value, ast.Call):
                for target in assign.targets:
                    if isinstance(target, ast.Name):
                        called_into.setdefault(target.id, set()).add(_tail(assign.value.func))
        streamed: set[str] = set()
        for call in nodes.of(ast.Call):
            if _tail(call.func) not in STREAM_BUILDERS:
                continue
            for arg in [*call.args[:1], *(k.value for k in call.keywords if k.arg in ("content", "response"))]:
                if isinstance(arg, ast.Call):
                    streamed.add(_tail(arg.func))
                elif isinstance(arg, ast.Name):
                    streamed |= called_into.get(arg.id, set())
        return [func for func in functions if func.name in streamed
                and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(func))]

    @staticmethod
    def _broad(caught: ast.expr | None) -> bool:
        caught_types = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        return any(t is None or _tail(t) in ("Exception", "BaseException") for t in caught_types)

    @staticmethod
    def _client_errors(caught: ast.expr | None) -> bool:
        caught_types = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
        return bool(caught_types) and all(_tail(t) in CLIENT_ERRORS for t in caught_types)


def find_hazards(tree: ast.Module, aliases: Aliases, nodes: Nodes, rel: str = "") -> list[dict[str, Any]]:
    functions = list(nodes.of(ast.FunctionDef, ast.AsyncFunctionDef))
    finder = _Finder(aliases, ConstantText(tree, nodes))
    name = rel.rsplit("/", 1)[-1]
    finder.is_settings = (name.startswith("settings") or "/settings/" in f"/{rel}"
                          or any(m.startswith("django") for m in aliases.imports))
    module_statements = {id(s) for s in tree.body}
    calls: list[ast.Call] = []
    eval_lines: list[int] = []  # where eval()/exec() is called with an argument
    for node in nodes.of(ast.ClassDef):
        if any(_tail(base) in SAFE_YAML_LOADERS for base in node.bases):
            finder.safe_loaders.add(node.name)
    for node in nodes.of(ast.Call, ast.Assign, ast.AnnAssign, ast.Dict):
        if isinstance(node, ast.Call):
            calls.append(node)
            if isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec") and node.args:
                eval_lines.append(node.lineno)
        elif isinstance(node, ast.Assign):
            finder.assign(node.targets, node.value, id(node) in module_statements)
            finder.sql_assigned(node)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            finder.assign([node.target], node.value, id(node) in module_statements)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and str(key.value).lower() == "access-control-allow-origin" \
                        and _is_const(value, "*"):
                    finder.add("cors-wildcard", node, "Access-Control-Allow-Origin: * set by hand")
    # Calls after the assignments: `q = f"SELECT ..."` may sit deeper in the tree than `execute(q)`.
    for node in calls:
        finder.call(node)
    if eval_lines:  # _eval_in_function reports only calls with an argument
        eval_lines.sort()
        for node in functions:
            # Only a function whose lines hold such a call can report one (every node of its
            # subtree, decorators included, lies within its lines): the others are not walked.
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            at = bisect.bisect_left(eval_lines, first)
            if at < len(eval_lines) and eval_lines[at] <= (node.end_lineno or node.lineno):
                _eval_in_function(node, finder)
    _LeakFinder(aliases, finder, set(relative_names(nodes))).run(functions, nodes)
    blocking, clean = find_blocking(tree, aliases, nodes)
    for call, message in blocking:
        finder.add(BLOCKING_KIND, call, message)
    if clean is not None:
        finder.sight(BLOCKING_KIND, clean, f"async def {clean.name}() makes no blocking call")
    guarded = _debug_guarded_lines(nodes) if any(f["hazard"] == "debug-mode" for f in finder.found) else ()
    unique: dict[tuple[str, int], dict[str, Any]] = {}
    for finding in finder.found:  # nested functions are walked twice; report each line once
        if finding["hazard"] == "debug-mode" and any(start <= finding["line"] <= end for start, end in guarded):
            continue
        unique.setdefault((finding["hazard"], finding["line"]), finding)
    sightings = [{"hazard": hazard, "line": line, "message": message, "safe": True}
                 for hazard, (line, message) in finder.sighted.items()]
    return sorted(unique.values(), key=lambda f: (f["line"], f["hazard"])) + sightings


def _debug_guarded_lines(nodes: Nodes) -> list[tuple[int, int]]:
    """The lines of `if` branches taken only in debug mode (`if in_debug_mode(): app =
    FastAPI(debug=True)`, khoj; `if settings.DEBUG:`, `if os.getenv("DEBUG"):`): a debugger switched
    on there follows the configuration, it is not switched on by a literal. The `else` is not."""
    return [(node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno)
            for node in nodes.of(ast.If) if node.body and _mentions_debug(node.test)]


def _mentions_debug(test: ast.expr) -> bool:
    """A name, attribute or string in the test says debug (`in_debug_mode()`, `settings.DEBUG`)."""
    for node in ast.walk(test):
        text = dotted(node) or (node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "")
        if "debug" in text.lower():
            return True
    return False


def raised_with_text(nodes: Nodes) -> list[str]:
    """Exception classes this module raises with a caught exception's text in them (`raise
    AnthropicError(message=str(e))` in an `except ... as e:` block): a handler that sends such a
    class's message sends that text on. A keyword named for the inside (`internal_message=repr(e)`,
    `log_message=`) is not what the class was given for the client."""
    found: set[str] = set()
    raise_lines = sorted(node.lineno for node in nodes.of(ast.Raise)
                         if isinstance(node.exc, ast.Call) and (node.exc.args or node.exc.keywords))
    for block in nodes.of(ast.ExceptHandler) if raise_lines else ():
        at = bisect.bisect_left(raise_lines, block.lineno)
        if not block.name or at == len(raise_lines) or raise_lines[at] > (block.end_lineno or block.lineno):
            continue  # only a block that holds such a raise is walked
        for statement in block.body:
            for node in ast.walk(statement):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and any(
                        _LeakFinder._as_text(value, {block.name})
                        for value in [*node.exc.args, *(k.value for k in node.exc.keywords
                                                        if not (k.arg or "").startswith(INSIDE_KEYWORDS))]):
                    found.add(_tail(node.exc.func))
    return sorted(found)
