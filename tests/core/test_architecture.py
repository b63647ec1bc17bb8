"""The shape of the code: the kernel depends on no feature, nothing imports in a circle, and a
new feature plugs in through `register(app, api)` alone (STYLE.md habits 13 and 14)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

import app as app_module
from blueprints import FEATURES
from blueprints.core.cli import make_cli
from blueprints.core.events import emit, event_types
from blueprints.core.extensions import db
from blueprints.core.jobs import build_cron_scheduler, periodic_jobs
from tests.conftest import make_app
from tests.support.sessions import session_client

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "blueprints" / "core"
FEATURE_NAMES = sorted(
    p.name for p in (ROOT / "blueprints").iterdir() if (p / "__init__.py").exists()
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports_of(path.read_text(), package)


def _imports_of(source: str, package: str) -> set[str]:
    """Every module `source` (a module of `package`) imports, at module level or inside
    functions, as absolute names (`from pkg import name` yields `pkg` and `pkg.name`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _is_forbidden_for_core(name: str) -> bool:
    if name == "app" or name.startswith("app."):
        return True
    parts = name.split(".")
    return parts[0] == "blueprints" and len(parts) > 1 and parts[1] != "core"


# --- the kernel depends on no feature -------------------------------------------------------


def test_core_modules_import_no_feature_and_not_the_app_module():
    """In a fresh interpreter, import every module of core; no feature and not `app` loads."""
    modules = [_module_name(p) for p in sorted(CORE.glob("*.py"))]
    script = textwrap.dedent(
        f"""
        import importlib, json, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(modules) <= set(loaded)
    offenders = [m for m in loaded if _is_forbidden_for_core(m)]
    assert offenders == [], f"importing core loaded {offenders}"


def test_core_import_statements_name_no_feature_and_not_the_app_module():
    """The static view of the same rule: every import statement of core, at any depth
    (function-level and TYPE_CHECKING imports included)."""
    offenders = {
        _module_name(path): sorted(n for n in _imports(path) if _is_forbidden_for_core(n))
        for path in sorted(CORE.glob("*.py"))
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_the_static_check_sees_function_level_and_relative_imports():
    source = "def f():\n    from ..users import models\n    import app\n"
    found = _imports_of(source, "blueprints.core")
    assert {"blueprints.users", "blueprints.users.models", "app"} <= found


# --- no import circles ----------------------------------------------------------------------


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def test_grimp_counts_function_level_imports(tmp_path, monkeypatch):
    """The cycle test below relies on grimp seeing imports made inside functions."""
    pkg = tmp_path / "cycleprobe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def later():\n    from cycleprobe import b\n")
    (pkg / "b.py").write_text("from cycleprobe import a\n")
    (pkg / "c.py").write_text("from cycleprobe import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cycleprobe", cache_dir=None)
    assert _cycles(graph) == [{"cycleprobe.a", "cycleprobe.b"}]


def test_no_import_cycles_inside_blueprints_and_app():
    graph = grimp.build_graph("blueprints", cache_dir=None)
    unexpected = list(_cycles(graph))
    assert unexpected == [], f"import cycles: {[sorted(c) for c in unexpected]}"
    # grimp graphs packages only; `app.py` imports blueprints, so no module of blueprints may
    # import `app` back (that would close a circle through the factory).
    importers = [
        _module_name(path)
        for path in sorted((ROOT / "blueprints").rglob("*.py"))
        if any(n == "app" or n.startswith("app.") for n in _imports(path))
    ]
    assert importers == []


# --- a new feature plugs in through register() alone -----------------------------------------

PROBE_PACKAGE = '''
"""A throwaway feature: it touches no file of core or of another feature."""

import click
from flask import Blueprint

from blueprints.core.events import register_event_types
from blueprints.core.htmx import add_home_card, add_nav
from blueprints.core.jobs import add_periodic_jobs, periodic

bp = Blueprint("probe", __name__, template_folder="templates")


@bp.get("/probe")
def index():
    return "probe page"


@periodic(interval=45, timeout=30)
def tick() -> int:
    return 0


@click.group("probe")
def probe_cli() -> None:
    """Commands of the probe feature."""


@probe_cli.command("hello")
def hello() -> None:
    click.echo("hello from probe")


def card(org, actor) -> dict:
    return {"greeting": f"Probe card for {org.name} and {actor.email}"}


def register(app, api) -> None:
    register_event_types(app, "probe.happened")
    app.register_blueprint(bp)
    add_nav(app, "Probe nav", "probe.index", 95)
    add_home_card(app, "probe/_home_card.html", card, 95)
    add_periodic_jobs(app, tick)
    app.cli.add_command(probe_cli)
'''


@pytest.fixture
def probe_app(tmp_path, monkeypatch, database_url, redis_url, app):
    pkg = tmp_path / "sparki_probe_feature"
    (pkg / "templates" / "probe").mkdir(parents=True)
    (pkg / "__init__.py").write_text(PROBE_PACKAGE)
    (pkg / "templates" / "probe" / "_home_card.html").write_text(
        '<article class="card" id="probe-card">{{ card.greeting }}</article>\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    # The one line a new feature adds outside its package: its name in FEATURES.
    monkeypatch.setattr(app_module, "FEATURES", [*FEATURES, "sparki_probe_feature"])
    yield make_app(database_url, redis_url)
    sys.modules.pop("sparki_probe_feature", None)


def test_a_new_feature_adds_events_card_nav_job_and_cli_through_register(
    probe_app, app, factory, redis_url
):
    assert "probe.happened" in event_types(probe_app)
    assert "probe.happened" not in event_types(app)  # registries are per app

    org_id = factory.org("Probe Org")
    user_id = factory.user(org_id, roles=["viewer"], email="probe@example.com")
    with probe_app.app_context():
        from blueprints.users.models import Organization

        emit(db.session.get(Organization, org_id), "probe.happened", {"n": 1})
        db.session.commit()

    client = session_client(probe_app, user_id)
    home = client.get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert "Probe card for Probe Org and probe@example.com" in html
    assert "Probe nav" in html and 'href="/probe"' in html

    ticks = [j for j in periodic_jobs(probe_app) if j.func.__name__ == "tick"]
    assert [(j.interval, j.timeout) for j in ticks] == [(45, 30)]
    with probe_app.app_context():
        from redis import Redis

        scheduler = build_cron_scheduler(probe_app, Redis.from_url(redis_url))
    assert "sparki_probe_feature.tick" in [job.func_name for job in scheduler.get_jobs()]

    runner = CliRunner()
    sparki = make_cli(lambda: probe_app)
    listed = runner.invoke(sparki, ["--help"], obj=ScriptInfo(create_app=lambda: probe_app))
    assert listed.exit_code == 0 and "probe" in listed.output, listed.output
    hello = runner.invoke(sparki, ["probe", "hello"], obj=ScriptInfo(create_app=lambda: probe_app))
    assert hello.exit_code == 0 and "hello from probe" in hello.output, hello.output


def test_feature_list_names_only_existing_packages():
    assert sorted(f.split(".")[1] for f in FEATURES) == [n for n in FEATURE_NAMES if n != "core"]
