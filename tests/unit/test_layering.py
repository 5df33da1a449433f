"""ledger/ is the framework-free core: it never imports Flask (or the web and CLI adapters)."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "ledger"
FORBIDDEN = ("flask", "flask_babel", "flask_wtf", "flask_login", "werkzeug", "web", "cli", "click")


def test_core_never_imports_the_adapters() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
