"""`pip install .` (not editable) from a fresh clone gives a working Canoe.

The clone is what git would hand out (no compiled catalogs, no build leftovers). The wheel is
built the way pip builds it, in isolation with the build requirements of pyproject.toml; it is
installed into a new virtualenv, and everything runs from a folder outside the repository, so
only what the package carries can be used: templates, static files, migrations and catalogs.
To stay fast the new virtualenv borrows the runtime dependencies of the one running the tests
(a .pth file naming its site-packages, written after Canoe is installed so pip never sees the
editable Canoe there, and never touches it).
"""
import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# Run by the installed interpreter: prints what the package gave it, as JSON.
CHECK = textwrap.dedent("""
    import json, sys
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    import app
    from app.core.extensions import db
    from app.web import create_app

    canoe = create_app()
    client = canoe.test_client()
    pages = {
        "login_en": client.get("/login", headers={"Accept-Language": "en"}),
        "login_ko": client.get("/login", headers={"Accept-Language": "ko"}),
        "css": client.get("/static/css/canoe.css"),
        "htmx": client.get("/static/js/htmx.min.js"),
    }
    with canoe.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        tables = inspect(connection).get_table_names()
    print(json.dumps({
        "package": app.__file__,
        "path": sys.path,
        "status": {name: r.status_code for name, r in pages.items()},
        "login_en": pages["login_en"].get_data(as_text=True),
        "login_ko": pages["login_ko"].get_data(as_text=True),
        "heads": sorted(ScriptDirectory(str(app.PACKAGE / "migrations")).get_heads()),
        "current": sorted(current),
        "tables": tables,
    }))
""")


def clean_clone(dest: Path) -> Path:
    """The files a fresh clone would have: tracked, or new and not ignored (so no .mo, no build/)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a deleted file is still listed until the deletion is committed
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def build_wheel(source: Path, dist: Path) -> Path:
    pip(["wheel", "--no-deps", "-w", str(dist), str(source)])
    (wheel,) = dist.glob("canoe-*.whl")
    return wheel


def pip(args: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, capture_output=True)


def install(wheel: Path, venv: Path) -> Path:
    """A new virtualenv with the wheel installed; then the test environment's dependencies."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip(["--python", str(python), "install", "--no-deps", str(wheel)])
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    (Path(purelib) / "canoe-test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def run(python: Path, args: list[str], cwd: Path, database: Path) -> str:
    """Run the installed Canoe from outside the repository, with nothing of ours in the environment."""
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "LANG": "C.UTF-8",
           "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "packaging-test"}
    done = subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pip_install_from_a_clean_clone_migrates_and_serves(tmp_path):
    assert not list(clean_clone(tmp_path / "clone").glob("app/translations/*/LC_MESSAGES/*.mo"))
    wheel = build_wheel(tmp_path / "clone", tmp_path / "dist")
    venv = tmp_path / "venv"
    python = install(wheel, venv)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    database = outside / "canoe.db"

    run(python, ["-m", "flask", "--app", "app.web:create_app", "db", "upgrade"], outside, database)
    seen = json.loads(run(python, ["-c", CHECK], outside, database))

    assert Path(seen["package"]).is_relative_to(venv), seen["package"]
    assert not any(Path(p).resolve() == ROOT for p in seen["path"] if p)
    assert seen["status"] == {"login_en": 200, "login_ko": 200, "css": 200, "htmx": 200}
    assert seen["current"] == seen["heads"] and len(seen["heads"]) == 1
    assert {"users", "groups", "proposals", "votes"} <= set(seen["tables"])
    assert "<title>Log in · Canoe</title>" in seen["login_en"]
    # Korean only if the compiled catalog shipped: without it the page falls back to English.
    assert '<html lang="ko">' in seen["login_ko"] and "<title>로그인 · Canoe</title>" in seen["login_ko"]
