"""The adapters talk only to the core: nothing under handlers/ imports the store."""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"


def imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_no_adapter_module_imports_the_store() -> None:
    sources = sorted(HANDLERS.rglob("*.py"))
    offenders = {
        str(source.relative_to(HANDLERS)): sorted(
            m for m in imported_modules(source) if m == "bot.store" or m.startswith("bot.store.")
        )
        for source in sources
    }
    assert len(sources) > 10
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_import_scan_sees_a_store_import_where_there_is_one(tmp_path: Path) -> None:
    source = tmp_path / "adapter.py"
    source.write_text("from bot.store import Store\nimport bot.store.records\n", encoding="utf-8")
    assert {"bot.store", "bot.store.records"} <= imported_modules(source)
