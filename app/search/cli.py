"""`flask search reindex | check | retry`: rebuilding and auditing the index by hand or cron."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from app.core.cron import recorded
from app.core.extensions import db
from app.search import entries, service

search_cli = AppGroup("search", help="Rebuild, check and catch up the search index.")


def _items() -> int:
    with Session(db.engine) as session:
        return entries.count_items(session)


def _percent(rebuilding: "service.Rebuilding") -> str:
    return "not started" if rebuilding.percent is None else f"{rebuilding.percent}% done"


@search_cli.command("reindex")
def reindex_command():
    """Rebuild the whole index from the database."""
    try:
        with click.progressbar(length=_items(), label="Indexing") as bar:
            done = service.rebuild(progress=bar.update)
    except service.AlreadyRebuilding as running:
        click.echo(f"The index is already being rebuilt by another process ({_percent(running)}); try again later.")
        raise SystemExit(1) from None
    click.echo(f"Indexed {done} items ({current_app.config['CANOE_SEARCH_BACKEND']}).")


@search_cli.command("check")
@click.option("--show", default=10, show_default=True, help="How many keys of each problem to list.")
def check_command(show):
    """Compare the index with the database; exit 1 when they differ."""
    try:
        with click.progressbar(length=_items(), label="Checking") as bar:
            found = service.drift(progress=bar.update)
    except service.Rebuilding as missing:
        click.echo(f"The index is missing or unreadable (rebuild: {_percent(missing)}): run `flask search reindex`.")
        raise SystemExit(1) from None
    for problem, keys in found.items():
        listed = ", ".join(entries.key_text(k) for k in keys[:show])
        click.echo(f"{problem}: {len(keys)}" + (f" ({listed}{', …' if len(keys) > show else ''})" if keys else ""))
    if any(found.values()):
        click.echo("The index has drifted: run `flask search reindex`.")
        raise SystemExit(1)
    click.echo("The index matches the database.")


@search_cli.command("retry")
@recorded("search retry")
def retry_command():
    """Index the items whose earlier write failed (safe to run from cron)."""
    waiting = service.retry_backlog()
    click.echo(f"{waiting} item(s) still waiting." if waiting else "The backlog is empty.")
    if waiting:
        raise SystemExit(1)
