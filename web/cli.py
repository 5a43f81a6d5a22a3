"""The `opus` command: serve the API, migrate the database, create tenants, load the demo.

Every command reads the settings (web/settings.py). With no DATABASE_URL, the commands that
need a database start the embedded PostgreSQL in OPUS_DATA_DIR first (db/embedded.py).
Operator mistakes (a taken email, a database without tables) end with a one-line message on
stderr and exit status 1, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from db.demo import demo_company_id, load_demo
from db.embedded import start_embedded
from db.engine import APP_ROLE, create_engine
from db.migrate import downgrade, upgrade
from db.session import RequestDB, system_session
from db.tenants import create_company
from schema.ids import to_global_id
from web.settings import Settings, load_settings

T = TypeVar("T")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = load_settings()
    try:
        args.run(settings, args)
    except ValueError as exc:
        raise SystemExit(f"opus: {exc}") from exc
    except DBAPIError as exc:
        if not _not_migrated(exc):
            raise
        raise SystemExit(
            "opus: the database has no tables yet: run `opus db upgrade` first"
        ) from exc


def _not_migrated(exc: DBAPIError) -> bool:
    """Whether the error is the app role or a table missing, as before the first migration."""
    message = str(exc.orig)
    return f'role "{APP_ROLE}" does not exist' in message or (
        "relation" in message and "does not exist" in message
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opus", description="Service Opus Jobs: the GraphQL API for a trades business's jobs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API (GraphiQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (needs REDIS_URL)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not run `db upgrade` first (when a release step runs it once for all processes)",
    )
    serve.set_defaults(run=_serve)

    database = commands.add_parser("db", help="database schema migrations").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    up = database.add_parser("upgrade", help="migrate to REVISION (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(run=_db_upgrade)
    down = database.add_parser("downgrade", help="migrate back to REVISION ('base': empty)")
    down.add_argument("revision")
    down.set_defaults(run=_db_downgrade)

    tenant = commands.add_parser("tenant", help="companies").add_subparsers(
        dest="tenant_command", required=True, metavar="ACTION"
    )
    create = tenant.add_parser(
        "create", help="create a company and its admin; prints ids and the admin's token as JSON"
    )
    create.add_argument("name")
    create.add_argument("--admin-email", required=True)
    create.add_argument("--admin-password", required=True)
    create.add_argument("--admin-name", help="default: the part of the email before the @")
    create.add_argument("--timezone", default="UTC", help="IANA name, e.g. America/Denver")
    create.set_defaults(run=_tenant_create)

    demo = commands.add_parser(
        "demo", help="load the demo company (once); prints its users with fresh tokens as JSON"
    )
    demo.set_defaults(run=_demo)

    schema = commands.add_parser("schema", help="the GraphQL schema").add_subparsers(
        dest="schema_command", required=True, metavar="ACTION"
    )
    schema.add_parser("print", help="print the SDL").set_defaults(run=_schema_print)

    bench = commands.add_parser(
        "bench",
        help="measure the hot paths against PostGraphile and asyncpg in a throwaway database "
        "on DATABASE_URL's server (bench/); one JSON line per scenario and system",
    )
    _bench_module().add_arguments(bench)
    bench.set_defaults(run=lambda settings, args: _bench_module().run_from_cli(settings, args))
    return parser


def _bench_module() -> Any:
    """bench/ sits beside the packages and is not installed: import it from the checkout."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    import bench.run

    return bench.run


def _database_url(settings: Settings) -> str:
    """The configured database, or the embedded one (started, or joined if already running)."""
    if settings.database_url is not None:
        return settings.database_url
    return start_embedded(settings.data_dir)


def _with_db(url: str, work: Callable[[RequestDB], Awaitable[T]]) -> T:
    """Run `work` in one committed system session, as the RLS-bound app role; return its result."""

    async def run() -> T:
        engine = create_engine(url, pool_size=1)
        try:
            async with system_session(engine) as db:
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2))


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    if settings.embedded and args.workers > 1 and settings.redis_url is None:
        raise SystemExit(
            "opus: --workers > 1 needs REDIS_URL: without it each process has its own in-memory "
            "event bus, and live updates made on one would never reach subscribers on another"
        )
    url = _database_url(settings)
    if settings.embedded:
        # Workers (other processes) read the settings again: point them at the running server.
        os.environ["DATABASE_URL"] = url
        print(f"opus: embedded PostgreSQL in {settings.data_dir / 'pg'}", file=sys.stderr)
    if not args.no_migrate:
        upgrade(url)
    if settings.embedded and settings.load_demo:
        _load_demo_on_first_start(url)

    import uvicorn

    # uvicorn re-raises SIGTERM after its graceful shutdown. Exiting through Python rather than
    # the default handler runs the exit hooks, which stop the embedded server (db/embedded.py).
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    uvicorn.run(
        "web.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level,
        # Compressing every live frame for every socket cost more CPU than anything else in a
        # fan-out to many dispatch screens (each socket has its own deflate state, so the
        # same payload is compressed once per subscriber), to save a few hundred bytes.
        ws_per_message_deflate=False,
    )


def _load_demo_on_first_start(url: str) -> None:
    async def load(db: RequestDB) -> list[dict[str, Any]]:
        if await demo_company_id(db) is not None:
            return []
        return await load_demo(db)

    users = _with_db(url, load)
    if users:
        print("opus: demo company loaded; sign in with any of these:", file=sys.stderr)
        for user in users:
            print(
                f"  {user['role']:<11} {user['email']:<34} password {user['password']}",
                file=sys.stderr,
            )
        print("  (`opus demo` prints fresh bearer tokens for them)", file=sys.stderr)


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    upgrade(_database_url(settings), args.revision)
    print(f"opus: database upgraded to {args.revision}", file=sys.stderr)


def _db_downgrade(settings: Settings, args: argparse.Namespace) -> None:
    downgrade(_database_url(settings), args.revision)
    print(f"opus: database downgraded to {args.revision}", file=sys.stderr)


def _tenant_create(settings: Settings, args: argparse.Namespace) -> None:
    async def create(db: RequestDB) -> tuple[int, int, str]:
        return await create_company(
            db,
            args.name,
            args.admin_email,
            args.admin_password,
            admin_name=args.admin_name,
            timezone=args.timezone,
        )

    company_id, user_id, token = _with_db(_database_url(settings), create)
    _print_json(
        {
            "companyId": to_global_id("Company", company_id),
            "userId": to_global_id("User", user_id),
            "token": token,
        }
    )


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    _print_json(_with_db(_database_url(settings), load_demo))


def _schema_print(settings: Settings, args: argparse.Namespace) -> None:
    from schema.main import schema

    print(schema.as_str())


if __name__ == "__main__":
    main()
