"""The shape the README's Architecture section promises: the core's folders import only the
folders before them in pipeline order, the core imports no platform, and the adapters talk
only to the core (nothing under handlers/ imports the store)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
# The README's order: each folder may import itself and those before it, never those after.
LAYERS = (
    "support",
    "source",
    "summarize",
    "store",
    "match",
    "words",
    "cards",
    "render",
    "ops",
    "delivery",
    "schedule",
    "chat",
)
PLATFORM_LIBRARIES = ("telegram", "slack_sdk", "slack_bolt", "handlers")
# The composition root and the doctor load each adapter by name from `handlers`.
ADAPTER_LOADERS = {"bot/app.py", "bot/doctor.py"}


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


def core_imports(layer: str) -> set[str]:
    return {
        module
        for source in (ROOT / "bot" / layer).rglob("*.py")
        for module in imported_modules(source)
        if module.startswith("bot.")
    }


def test_each_core_folder_imports_only_the_folders_before_it_in_the_pipeline() -> None:
    later_imports = {
        layer: sorted(
            module
            for module in core_imports(layer)
            if module.split(".")[1] in LAYERS[position + 1 :]
        )
        for position, layer in enumerate(LAYERS)
    }
    assert {layer: found for layer, found in later_imports.items() if found} == {}


def test_the_layers_cover_every_folder_of_the_core() -> None:
    folders = {p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    assert folders == set(LAYERS)


def test_no_core_module_imports_a_platform_library() -> None:
    offenders = {
        str(source.relative_to(ROOT)): sorted(
            m for m in imported_modules(source) if m.split(".")[0] in PLATFORM_LIBRARIES
        )
        for source in (ROOT / "bot").rglob("*.py")
        if source.relative_to(ROOT).as_posix() not in ADAPTER_LOADERS
    }
    assert {path: found for path, found in offenders.items() if found} == {}
