"""The bot's modules import one another in one direction: no cycles, and the Slack transport never
imports a feature (features import the transport).

The graph is read from the source with ast: imports at module level, inside functions (a lazy
import that dodges a cycle at run time is still a cycle) and under `if TYPE_CHECKING:` (a type
that names a module depends on it) all count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import salesrl.bot

BOT_DIR = Path(salesrl.bot.__file__).parent
PACKAGE = "salesrl.bot"

# The transport: how the bot hears Slack and says things in it. It knows nothing of what is said,
# not even through another module. The wiring may import features: bot.slack.app, which builds the
# bot; bot.slack.context, the bag of parts it builds, features included; bot.slack.listeners,
# bot.slack.subcommands and bot.slack.dispatch, which route Slack's requests to the features.
TRANSPORT = (
    "salesrl.bot.slack.admins",
    "salesrl.bot.slack.asker",
    "salesrl.bot.slack.block_validation",
    "salesrl.bot.slack.files",
    "salesrl.bot.slack.incoming_text",
    "salesrl.bot.slack.membership",
    "salesrl.bot.slack.oauth_pages",
    "salesrl.bot.slack.outbox",
    "salesrl.bot.slack.pending",
    "salesrl.bot.slack.replays",
    "salesrl.bot.slack.request_shapes",
    "salesrl.bot.slack.templates",
    "salesrl.bot.slack.web_client",
    "salesrl.bot.slack.workers",
)
FEATURES = (
    "salesrl.bot.slack.scoring",
    "salesrl.bot.live",
    "salesrl.bot.flags",
    "salesrl.bot.answers",
    "salesrl.bot.digest",
    "salesrl.bot.zoom",
    "salesrl.bot.crm",
)
def module_names() -> dict[str, Path]:
    names = {}
    for path in BOT_DIR.rglob("*.py"):
        parts = list(path.relative_to(BOT_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join([PACKAGE, *parts])] = path
    return names


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The bot modules `path` imports, anywhere in it (`from salesrl.bot.x import y` counts as
    salesrl.bot.x.y when y is a module, else as salesrl.bot.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if name in known:
                    found.add(name)
                elif node.module in known:
                    found.add(node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    names = module_names()
    known = set(names)
    return {name: imports_of(path, known) - {name} for name, path in names.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(name: str) -> list[str] | None:
        path.append(name)
        on_path.add(name)
        for target in sorted(graph.get(name, ())):
            if target in on_path:
                return path[path.index(target):] + [target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(name)
        done.add(name)
        return None

    for name in sorted(graph):
        if name not in done:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_is_read():
    graph = import_graph()
    assert "salesrl.bot.slack.outbox" in graph["salesrl.bot.slack.scoring"]
    assert "salesrl.bot.calls" in graph["salesrl.bot.slack.scoring"]
    assert all(name in graph for name in TRANSPORT)


def test_no_import_cycles():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_the_transport_imports_no_feature():
    graph = import_graph()
    wrong = sorted(f"{name} imports {target}" for name in TRANSPORT for target in reachable(graph, name)
                   if any(is_under(target, feature) for feature in FEATURES))
    assert wrong == []


def test_cycles_and_feature_imports_are_found():
    """The checks catch what they look for (on a made-up graph)."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert reachable({"a": {"b"}, "b": {"c"}, "c": set()}, "a") == {"b", "c"}
