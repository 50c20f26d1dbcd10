"""The layers hold: `lint-imports` keeps the contracts in .importlinter, and no import hides in a function."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
MIGRATIONS = APP / "migrations"


def _local_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every `from app… import` / `import app…` inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and (inner.module or "").split(".")[0] == "app":
                found.append((inner.lineno, inner.module))
            elif isinstance(inner, ast.Import):
                found += [(inner.lineno, alias.name) for alias in inner.names if alias.name.split(".")[0] == "app"]
    return found


def test_lint_imports_keeps_every_layer_contract():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_of_the_app_imports_the_app_inside_a_function():
    hidden = {
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in APP.rglob("*.py") if MIGRATIONS not in path.parents
        for line, module in _local_imports(path)
    }
    assert not hidden, "imports placed inside functions (a layer broken, or a cycle dodged):\n" + "\n".join(sorted(hidden))


def test_migrations_import_only_the_core_when_they_run():
    """A migration imports nothing at load time (Alembic loads them all); when it runs it may use the
    core (markdown, time zones), never a feature, whose models change after the migration is written."""
    beyond_core = {
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in MIGRATIONS.rglob("*.py")
        for line, module in _local_imports(path)
        if not module.startswith("app.core")
    }
    assert not beyond_core, "\n".join(sorted(beyond_core))


def test_the_scan_finds_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\n\ndef f():\n    from app.groups import services\n    import app.archive\n")
    assert _local_imports(sample) == [(5, "app.groups"), (6, "app.archive")]
