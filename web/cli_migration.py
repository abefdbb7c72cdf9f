"""``shequflow versions compare`` and ``shequflow migrate``: the process owner's version tools on the command line.

Both go through the engine façade as the named user (``--as``), so the same grants apply as in the
workbench: only process owners, and a migration only touches cases within their scope.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from engine.errors import EngineError


def _services(ctx: click.Context) -> Any:
    from web.cli import _services as services

    return services(ctx)


def _fail(exc: EngineError) -> None:
    from web.cli import _fail as fail

    fail(exc)


def register(main: click.Group) -> None:
    """Add the commands to the ``shequflow`` group."""
    main.add_command(versions)
    main.add_command(migrate)


@click.group()
def versions() -> None:
    """Process versions: list and compare."""


@versions.command("list")
@click.argument("process_key", required=False)
@click.pass_context
def versions_list(ctx: click.Context, process_key: str | None) -> None:
    """List the versions of a process (or of every process)."""
    engine = _services(ctx).engine
    with engine.db.transaction(write=False) as tx:
        counts = dict(
            tx.all(
                "SELECT process_version_id, COUNT(*) FROM instances "
                "WHERE status NOT IN ('completed', 'cancelled') GROUP BY process_version_id"
            )
        )
    for v in engine.definitions.list_versions(process_key):
        click.echo(
            f"{v.process_key} v{v.version} {v.status:9} {v.author} {v.created_at} 进行中案件 {counts.get(v.id, 0)}"
        )


@versions.command("compare")
@click.argument("process_key")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--as", "username", default=None, help="以该流程管理员身份比较（默认：系统）")
@click.pass_context
def versions_compare(ctx: click.Context, process_key: str, old: int, new: int, username: str | None) -> None:
    """List the elements added, removed and changed between versions OLD and NEW."""
    from engine.accounts.authz import SYSTEM

    engine = _services(ctx).engine
    try:
        actor = engine.actor(username) if username else SYSTEM
        result = engine.compare_versions(process_key, old, new, actor)
    except EngineError as exc:
        _fail(exc)
        return
    if result.unchanged:
        click.echo(f"{process_key} v{old} 与 v{new} 没有差异（no differences）")
        return
    click.echo(f"{process_key} v{old} → v{new}：{len(result.elements)} 处元素变化")
    for element in result.elements:
        prefix = "" if element.process_id == process_key else f"[{element.process_id}] "
        click.echo(f"  {prefix}{element.describe_zh()}")
    for path, kind in result.files:
        click.echo(f"  文件 {path}：{ {'added': '新增', 'removed': '删除', 'changed': '修改'}[kind] }")


@click.command("migrate")
@click.argument("process_key")
@click.option("--from", "from_version", type=int, required=True, help="案件当前所在的版本")
@click.option("--to", "to_version", type=int, required=True, help="迁移到的已发布版本")
@click.option("--dry-run", is_flag=True, help="只检查每个案件能否迁移，不做任何更改")
@click.option("--case", "case_ids", type=int, multiple=True, help="只迁移这些案件（可重复；默认：全部）")
@click.option("--batch", "batch_size", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--as", "username", required=True, help="执行迁移的流程管理员用户名")
@click.pass_context
def migrate(
    ctx: click.Context,
    process_key: str,
    from_version: int,
    to_version: int,
    dry_run: bool,
    case_ids: tuple[int, ...],
    batch_size: int,
    username: str,
) -> None:
    """Move running cases of version FROM to the published version TO (dry run first)."""
    engine = _services(ctx).engine

    def progress(p: Any) -> None:
        verb = "可迁移" if dry_run else "已迁移"
        click.echo(f"进度 {p.done}/{p.total}：{verb} {p.moved}，不能迁移 {p.refused}，失败 {p.failed}", err=True)

    try:
        report = engine.migrate(
            process_key,
            from_version,
            to_version,
            engine.actor(username),
            case_ids=list(case_ids) or None,
            dry_run=dry_run,
            batch_size=batch_size,
            progress=progress,
        )
    except EngineError as exc:
        _fail(exc)
        return
    for o in report.not_moved:
        click.echo(f"案件 #{o.instance_id} {o.title} 未迁移：{o.reason}（{o.reason_en}）")
    verb = "可迁移（试运行，未做更改）" if dry_run else "已迁移"
    click.echo(
        f"{process_key} v{from_version} → v{to_version}：{verb} {len(report.movable)} 件，"
        f"未迁移 {len(report.not_moved)} 件，用时 {report.seconds:.1f} 秒"
    )
    if report.of("failed"):
        sys.exit(1)
