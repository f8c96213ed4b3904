"""Blocking calls inside `async def`: the hazard kind `blocking-in-async`.

An asyncio server (FastAPI, Starlette, aiohttp, Sanic, Quart ...) runs every `async def` handler on
one event loop per worker. A synchronous call inside one (`requests.post`, a sync OpenAI client,
`time.sleep`) holds that loop until it returns, so no other request of the worker moves meanwhile:
under concurrent load the worker answers one request at a time, and its health checks wait too.
FastAPI's documentation warns of exactly this; a plain `def` handler is safe, as the framework runs
it in a thread pool.

Only request handlers are judged: an `async def` decorated as a route, middleware or exception
handler (`@app.post(...)`, `@router.get(...)`, `@app.middleware("http")`), or handed to a router
(`router.add_api_route(path, self.list_models)`, `Route(path, endpoint)`, aiohttp's
`app.router.add_post(path, handler)`; a method is matched by name among the module's functions).
A lifespan or startup hook blocks before serving starts, and a command-line tool's coroutine runs
on a loop of its own; on real repositories those were all the other cases found (a CLI polling its model server with
`httpx.get`, a startup hook registering with a proxy, a deploy helper's `time.sleep`), and none of
them holds up a request.

What is reported, in a handler's own body (a nested `def` or `lambda` runs wherever it is called,
and a function passed by reference, `await asyncio.to_thread(requests.post, ...)`, runs off the
loop):

- a call that blocks: `time.sleep`, `urlopen`, `subprocess.run` and its kin, `os.system`,
  `requests.<verb>`, `httpx.<verb>` (the module's sync functions), Hugging Face's
  `snapshot_download` / `hf_hub_download`;
- a call through a name bound to a sync client (`requests.Session()`, `httpx.Client()`,
  `openai.OpenAI()`, `anthropic.Anthropic()`): `client.chat.completions.create(...)`;
- a call of a plain function of the same module that makes one (followed through such functions,
  so `async def chat(): return forward(body)` with `def forward(): requests.post(...)` counts), or
  an awaited `async def` of the same module that makes one.

The safe twin, which a pass needs: a request handler that is an `async def` and makes no such call.
A service whose handlers are all plain `def` has nothing to judge here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from readyscore.executors.static.pyfacts import Aliases, Nodes, dotted
from readyscore.executors.static.wiring_facts import ROUTE_DECORATORS

KIND = "blocking-in-async"
HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"}
BLOCKING_CALLS = {"time.sleep", "urllib.request.urlopen", "subprocess.run", "subprocess.call",
                  "subprocess.check_call", "subprocess.check_output", "os.system", "socket.create_connection",
                  # model downloads: minutes on the loop
                  "huggingface_hub.snapshot_download", "huggingface_hub.hf_hub_download"}
# Constructors of clients whose calls block (their async twins, AsyncOpenAI, httpx.AsyncClient,
# aiohttp.ClientSession, are awaited and do not).
SYNC_CLIENTS = {"requests.Session", "requests.session", "httpx.Client", "openai.OpenAI", "openai.AzureOpenAI",
                "anthropic.Anthropic", "anthropic.AnthropicBedrock", "anthropic.AnthropicVertex"}
# What a sync client's blocking calls are named (`client.chat.completions.create`, `session.post`).
CLIENT_METHODS = HTTP_VERBS | {"create", "generate", "invoke", "complete"}
# Decorators that make an `async def` run per request on the server's loop (startup hooks and
# lifespans run before serving, and CLI coroutines on a loop of their own: not judged).
SERVING_DECORATORS = ROUTE_DECORATORS | {"websocket_route", "middleware", "exception_handler", "view"}
# Calls that register a handler given as an argument (the endpoint is the second one, or `endpoint=`).
REGISTRATIONS = {"add_api_route", "add_route", "add_api_websocket_route", "add_websocket_route", "Route",
                 "WebSocketRoute", "APIRoute", "add_get", "add_post", "add_put", "add_patch", "add_delete"}


def _body_calls(function: ast.AST) -> Iterator[tuple[ast.Call, bool]]:
    """(call, awaited) for every call in a function's own body: nested functions, lambdas and
    classes are not walked, as they do not run where they are defined."""
    stack: list[tuple[ast.AST, bool]] = [(child, False) for child in ast.iter_child_nodes(function)
                                         if child not in getattr(function, "decorator_list", ())]
    while stack:
        node, awaited = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            yield node, awaited
        stack.extend((child, isinstance(node, ast.Await)) for child in ast.iter_child_nodes(node))


class _Blocking:
    def __init__(self, tree: ast.Module, aliases: Aliases, nodes: Nodes):
        self.aliases = aliases
        self.clients = self._sync_clients(nodes)
        self.functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        self.coroutines = {node.name: node for node in tree.body if isinstance(node, ast.AsyncFunctionDef)}
        self._roots: dict[str, str | None] = {}

    def _sync_clients(self, nodes: Nodes) -> set[str]:
        """Names (`client`, `self.session`) bound to a sync client anywhere in the module."""
        names: set[str] = set()
        for node in nodes.of(ast.Assign, ast.AnnAssign):
            value = node.value
            if isinstance(value, ast.Call) and self.aliases.qualify(value.func) in SYNC_CLIENTS:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    name = dotted(target)
                    if name:
                        names.add(name)
        return names

    def direct(self, call: ast.Call) -> str | None:
        """What blocks, when this call is itself a blocking one."""
        qual = self.aliases.qualify(call.func) or ""
        tail = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if qual in BLOCKING_CALLS:
            return f"{qual}()"
        if qual.startswith(("requests.", "httpx.")) and qual.count(".") == 1 and tail in HTTP_VERBS:
            return f"{qual}()"
        if isinstance(call.func, ast.Attribute) and tail in CLIENT_METHODS:
            receiver = dotted(call.func.value) or ""
            if any(receiver == name or receiver.startswith(name + ".") for name in self.clients):
                return f"{receiver}.{tail}() on a sync client"
        return None

    def blocking(self, call: ast.Call, awaited: bool) -> str | None:
        """What blocks the loop when a handler makes this call: the call itself, or the first
        blocking call inside the same module's plain function it runs or coroutine it awaits."""
        root = self._root_of(call, awaited)
        if root is None or not isinstance(call.func, ast.Name):
            return root
        own = call.func.id in (self.coroutines if awaited else self.functions)
        return f"{call.func.id}(), which calls {root}," if own else root

    def _root(self, name: str, functions: dict[str, ast.AST] | None = None) -> str | None:
        """The first blocking call a function of the module makes, itself or through another."""
        if name not in self._roots:
            self._roots[name] = None  # a recursive helper is judged by its other calls
            self._roots[name] = self._first_block((functions or self.functions)[name], self._root_of)
        return self._roots[name]

    def _root_of(self, call: ast.Call, awaited: bool) -> str | None:
        if awaited:
            known = isinstance(call.func, ast.Name) and call.func.id in self.coroutines
            return self._root(call.func.id, self.coroutines) if known else None
        if isinstance(call.func, ast.Name) and call.func.id in self.functions:
            return self._root(call.func.id)
        return self.direct(call)

    @staticmethod
    def _first_block(function: ast.AST, judge: Callable[[ast.Call, bool], str | None]) -> str | None:
        for call, awaited in _body_calls(function):
            if found := judge(call, awaited):
                return found
        return None


def _serves_requests(function: ast.AsyncFunctionDef) -> bool:
    """A route handler, middleware or exception handler, by its decorator (`@app.post(...)`,
    `@router.get(...)`, `@app.middleware("http")`, aiohttp's `@routes.get(...)`, Litestar's `@get`)."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if name in SERVING_DECORATORS:
            return True
    return False


def _endpoint_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # self.list_models: a method of the module's classes
        return node.attr
    return None


def _registered_handlers(nodes: Nodes) -> set[str]:
    """Names of functions handed to a router rather than decorated: `router.add_api_route(path,
    self.list_models)`, Starlette's `Route(path, endpoint)`, aiohttp's `app.router.add_post(path,
    handler)`, and `app.post(path)(handler)`."""
    names: set[str] = set()
    for call in nodes.of(ast.Call):
        func = call.func
        tail = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if tail in REGISTRATIONS:
            endpoint = call.args[1] if len(call.args) > 1 else next(
                (k.value for k in call.keywords if k.arg in ("endpoint", "handler")), None)
            if name := _endpoint_name(endpoint):
                names.add(name)
        elif isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) \
                and func.func.attr in SERVING_DECORATORS and call.args:
            if name := _endpoint_name(call.args[0]):
                names.add(name)
    return names


def find_blocking(tree: ast.Module, aliases: Aliases,
                  nodes: Nodes) -> tuple[list[tuple[ast.Call, str]], ast.AsyncFunctionDef | None]:
    """(call, what blocks) for each blocking call a request handler runs on the event loop, and the
    first handler that runs none (the safe twin), or None."""
    coroutines = list(nodes.of(ast.AsyncFunctionDef))
    if not coroutines:
        return [], None
    registered = _registered_handlers(nodes)
    handlers = [f for f in coroutines if f.name in registered or _serves_requests(f)]
    if not handlers:
        return [], None
    judge = _Blocking(tree, aliases, nodes)
    found: list[tuple[ast.Call, str]] = []
    clean: ast.AsyncFunctionDef | None = None
    for function in handlers:
        blocked = False
        for call, awaited in _body_calls(function):
            if what := judge.blocking(call, awaited):
                blocked = True
                found.append((call, f"{what} blocks the event loop inside request handler "
                                           f"{function.name}(): no other request of this worker moves until it returns"))
        if not blocked and clean is None:
            clean = function
    return found, clean
