"""The ``shequflow`` command: serve, migrate, deploy, lint, run timers, manage users, verify the audit log.

Operators use it on any host that can reach the database (``SHEQUFLOW_DATABASE_URL``; default the SQLite
file under ``instance/``). Case commands (``start``, ``tasks``, ``complete``, ``send-message``) act as a
named user through the same engine façade the web uses, with the same grants.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import Any

import click

from engine.bootstrap import Services, build
from engine.errors import EngineError
from engine.sandbox.limits import apply_process_memory_cap


def _services(ctx: click.Context) -> Services:
    if ctx.obj is None:
        ctx.obj = build(ctx.find_root().params.get("database_url"))
    services: Services = ctx.obj
    return services


def _json_arg(text: str | None, what: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} 不是合法的 JSON：{exc}") from exc
    if not isinstance(value, dict):
        raise click.BadParameter(f"{what} 必须是 JSON 对象")
    return value


def _fail(exc: EngineError) -> None:
    click.echo(f"错误：{exc.message_zh}", err=True)
    if exc.message_en != exc.message_zh:
        click.echo(f"Error: {exc.message_en}", err=True)
    for problem in getattr(exc, "problems", []) or []:
        click.echo(str(problem), err=True)
    sys.exit(1)


class _Commands(click.Group):
    """The command group: engine errors print in Chinese and English, anything else without a traceback.

    An unexpected exception is a defect, not the operator's fault: its traceback goes to the log
    (``SHEQUFLOW_DEBUG=1`` also prints it), the operator sees one line naming the error, exit status 2.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EngineError as exc:
            _fail(exc)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            import logging
            import os

            logging.getLogger("shequflow.cli").error("command failed", exc_info=exc)
            if os.environ.get("SHEQUFLOW_DEBUG") == "1":
                raise
            click.echo(f"错误：内部错误（{type(exc).__name__}：{str(exc)[:300]}），未完成的操作已撤销", err=True)
            click.echo(f"Error: internal error ({type(exc).__name__}); unfinished work was rolled back", err=True)
            sys.exit(2)


@click.group(cls=_Commands)
@click.option(
    "--database-url",
    envvar="SHEQUFLOW_DATABASE_URL",
    default=None,
    help="数据库地址（默认 instance/shequflow.db）",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """社区治理流程平台 shequflow — operator commands."""
    apply_process_memory_cap()  # every worker caps its own memory (SHEQUFLOW_MEMORY_LIMIT_MB, 0 = off)


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the schema to the newest revision (safe to run again)."""
    from engine.store.migrate import current, upgrade

    services = _services(ctx)
    upgrade(services.db)
    click.echo(f"数据库已是最新结构：{current(services.db)}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def lint(paths: tuple[str, ...]) -> None:
    """Check BPMN/DMN/form files; print each problem as file:line: element: message."""
    from engine.definitions.bundle import lint_paths

    problems = lint_paths(list(paths))
    for p in problems:
        click.echo(str(p) + (" [警告 warning]" if p.severity == "warning" else ""))
    errors = [p for p in problems if p.severity == "error"]
    click.echo(f"{len(errors)} 个错误，{len(problems) - len(errors)} 个警告", err=True)
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--publish", is_flag=True, help="部署后立即发布")
@click.option("--author", default="operator", show_default=True)
@click.pass_context
def deploy(ctx: click.Context, directory: str, publish: bool, author: str) -> None:
    """Validate a bundle folder and store it as a new version of each process in it."""
    from engine.definitions.bundle import Bundle

    services = _services(ctx)
    try:
        bundle = Bundle.from_dir(directory)
        result = services.engine.definitions.deploy(
            bundle, author, publish=publish, known_roles=services.directory.known_roles() or None
        )
    except EngineError as exc:
        _fail(exc)
        return
    for w in result.warnings:
        click.echo(f"警告 {w}")
    for v in result.versions:
        click.echo(f"{v.process_key} v{v.version} {v.status} ({v.content_hash[:12]})")


@main.command("publish")
@click.argument("process_key")
@click.argument("version", type=int)
@click.option("--retire", is_flag=True, help="停用该版本（不再发起新案件）")
@click.pass_context
def publish_cmd(ctx: click.Context, process_key: str, version: int, retire: bool) -> None:
    """Publish (or retire) one version."""
    try:
        v = _services(ctx).engine.definitions.set_status(process_key, version, "retired" if retire else "published")
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"{v.process_key} v{v.version} {v.status}")


@main.group()
def timers() -> None:
    """The timer worker."""


@timers.command("run")
@click.option("--once", is_flag=True, help="处理一轮到期定时器后退出")
@click.option("--interval", default=5.0, show_default=True, help="轮询间隔（秒）")
@click.option("--limit", default=100, show_default=True, help="每轮最多处理的案件数")
@click.pass_context
def timers_run(ctx: click.Context, once: bool, interval: float, limit: int) -> None:
    """Fire due timers; loop until stopped (any number of workers may run at once)."""
    engine = _services(ctx).engine
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    while True:
        fired = engine.fire_due_timers(limit=limit)
        if fired:
            click.echo(f"已触发 {fired} 个定时器")
        if once or stop["now"]:
            return
        if fired < limit:
            time.sleep(interval)


@main.group()
def places() -> None:
    """Districts, streets and organizations."""


@places.command("district")
@click.argument("code")
@click.argument("name")
@click.pass_context
def places_district(ctx: click.Context, code: str, name: str) -> None:
    """Add or rename a district."""
    _services(ctx).directory.add_district(code, name)


@places.command("street")
@click.argument("code")
@click.argument("name")
@click.option("--district", required=True)
@click.pass_context
def places_street(ctx: click.Context, code: str, name: str, district: str) -> None:
    """Add or rename a street."""
    try:
        _services(ctx).directory.add_street(code, name, district)
    except EngineError as exc:
        _fail(exc)


@places.command("org")
@click.argument("name")
@click.option("--street", default=None)
@click.option("--uscc", default=None)
@click.pass_context
def places_org(ctx: click.Context, name: str, street: str | None, uscc: str | None) -> None:
    """Add an organization; prints its id."""
    click.echo(_services(ctx).directory.add_organization(name, street, uscc))


@main.group()
def users() -> None:
    """Users and grants."""


@users.command("add")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default=None)
@click.pass_context
def users_add(ctx: click.Context, username: str, password: str, display_name: str | None) -> None:
    """Create a user (or reset the password)."""
    try:
        _services(ctx).directory.add_user(username, password, display_name)
    except EngineError as exc:
        _fail(exc)


@users.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--street", "scope", flag_value="street", default=True)
@click.option("--district", "scope", flag_value="district")
@click.option("--organization", "scope", flag_value="organization")
@click.argument("scope_id")
@click.pass_context
def users_grant(ctx: click.Context, username: str, role: str, scope: str, scope_id: str) -> None:
    """Give USERNAME the ROLE in a street (default), district or organization SCOPE_ID."""
    try:
        _services(ctx).directory.grant(username, role, scope, scope_id)
    except EngineError as exc:
        _fail(exc)


@main.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Recompute every hash chain and report the first broken link."""
    from engine.runtime.audit import verify

    checked, broken = verify(_services(ctx).db)
    if broken is not None:
        click.echo(f"审计日志被篡改：{broken}", err=True)
        sys.exit(1)
    click.echo(f"审计日志完整：已校验 {checked} 条记录")


@audit.command("anchor")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="写入的锚点文件（请另行保管）")
@click.pass_context
def audit_anchor(ctx: click.Context, out: str) -> None:
    """Write every case's signed chain head to a file kept elsewhere (run it on a schedule)."""
    from pathlib import Path

    from engine.runtime.verify import write_anchor

    services = _services(ctx)
    n = write_anchor(services.db, Path(out), services.engine.clock.now())
    click.echo(f"已写入 {n} 个案件的审计链锚点：{out}")


@main.command("verify")
@click.option("--anchors", "anchors", multiple=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def verify_all(ctx: click.Context, anchors: tuple[str, ...]) -> None:
    """Check audit chains, stored state, task lists and (with --anchors) deleted cases."""
    from pathlib import Path

    from engine.runtime.verify import verify_everything

    report = verify_everything(_services(ctx).engine, [Path(a) for a in anchors])
    for finding in report.findings:
        click.echo(f"不一致：{finding}", err=True)
    if not report.ok:
        click.echo(f"校验失败：{len(report.findings)} 处不一致（Verification failed）", err=True)
        sys.exit(1)
    click.echo(f"校验通过：{report.cases} 个案件、{report.audit_rows} 条审计记录（Everything verifies）")


@main.command()
@click.argument("process_key")
@click.option("--as", "username", required=True)
@click.option("--street", default=None)
@click.option("--organization", type=int, default=None)
@click.option("--business-key", default=None)
@click.option("--data", default=None, help="JSON 对象")
@click.pass_context
def start(
    ctx: click.Context,
    process_key: str,
    username: str,
    street: str | None,
    organization: int | None,
    business_key: str | None,
    data: str | None,
) -> None:
    """Start a case as a user."""
    engine = _services(ctx).engine
    try:
        r = engine.start(
            process_key,
            engine.actor(username),
            street=street,
            organization_id=organization,
            business_key=business_key,
            data=_json_arg(data, "--data"),
        )
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"案件 #{r.instance_id} {r.status}")


@main.command("tasks")
@click.option("--as", "username", required=True)
@click.pass_context
def tasks_cmd(ctx: click.Context, username: str) -> None:
    """List the tasks a user may work on."""
    services = _services(ctx)
    try:
        items, total = services.queries.tasks(services.engine.actor(username))
    except EngineError as exc:
        _fail(exc)
        return
    for t in items:
        click.echo(f"{t.id}  #{t.instance_id}  {t.name}  [{t.role}]  到期 {t.due_at or '-'}  {t.assignee or ''}")
    click.echo(f"共 {total} 项", err=True)


@main.command()
@click.argument("task_id")
@click.option("--as", "username", required=True)
@click.option("--data", default=None, help="JSON 对象")
@click.pass_context
def complete(ctx: click.Context, task_id: str, username: str, data: str | None) -> None:
    """Complete a task as a user."""
    engine = _services(ctx).engine
    try:
        r = engine.complete(task_id, engine.actor(username), _json_arg(data, "--data"))
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"案件 #{r.instance_id} {r.status}{' ' + r.end_state if r.end_state else ''}")


@main.command("send-message")
@click.argument("name")
@click.option("--correlation", required=True, help='JSON，如 {"business_key": "..."}')
@click.option("--payload", default=None)
@click.option("--street", default=None)
@click.pass_context
def send_message(ctx: click.Context, name: str, correlation: str, payload: str | None, street: str | None) -> None:
    """Deliver a message from an outside system."""
    engine = _services(ctx).engine
    try:
        results = engine.send_message(
            name, _json_arg(correlation, "--correlation"), _json_arg(payload, "--payload"), street=street
        )
    except EngineError as exc:
        _fail(exc)
        return
    for r in results:
        click.echo(f"案件 #{r.instance_id} {r.status}")


@main.command("seed-demo")
@click.option("--bpmn-dir", default=None, help="流程目录（默认仓库的 bpmn/）")
@click.pass_context
def seed_demo(ctx: click.Context, bpmn_dir: str | None) -> None:
    """Deploy the processes under bpmn/, create the demo district, streets, organizations and accounts."""
    from pathlib import Path

    from engine.demo import DEMO_PASSWORD, deploy_processes, run_demo_cases, seed_directory
    from engine.store.migrate import upgrade

    services = _services(ctx)
    root = Path(bpmn_dir) if bpmn_dir else Path(__file__).resolve().parents[1] / "bpmn"
    upgrade(services.db)
    try:
        keys = deploy_processes(services, root) if root.exists() else []
        world = seed_directory(services, root)
        with services.db.transaction(write=False) as tx:
            fresh = not tx.scalar("SELECT COUNT(*) FROM instances")
        cases = run_demo_cases(services, world, root) if fresh else 0
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(f"已发布流程：{', '.join(keys) or '（无）'}；新建演示案件 {cases} 件")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for (role, place), username in sorted(world.accounts.items(), key=lambda kv: kv[1]):
        click.echo(f"  {username:24} {role}  @ {place}")
    for role, username in sorted(world.district_accounts.items(), key=lambda kv: kv[1]):
        click.echo(f"  {username:24} {role}  @ 长宁区")


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("username")
@click.argument("name")
@click.pass_context
def tokens_create(ctx: click.Context, username: str, name: str) -> None:
    """Create an API token for USERNAME; print the secret (shown once)."""
    from engine.worklist import build_worklist

    services = _services(ctx)
    try:
        secret = build_worklist(services).access.create_token(username, name, services.engine.clock.now())
    except EngineError as exc:
        _fail(exc)
        return
    click.echo(secret)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=0, show_default=True, help="gunicorn 工作进程数（0：单进程开发服务器）")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the web app (with gunicorn workers when --workers > 0)."""
    from web import create_app

    if workers <= 0:
        app = create_app({"SHEQUFLOW_SERVICES": _services(ctx)})
        app.run(host=host, port=port)
        return
    from web.gunicorn_app import run_gunicorn

    run_gunicorn(ctx.find_root().params.get("database_url"), f"{host}:{port}", workers)


from web.cli_migration import register as _register_migration  # noqa: E402

_register_migration(main)

if __name__ == "__main__":  # python -m web.cli … (runs this checkout without the console script)
    main()
