"""`feedbackloop privacy export|erase CONTACT`: customer-data requests from the command line."""

from __future__ import annotations

import click

from feedbackloop.cli_support import echo_json, handle_errors

# What the features behind privacy.erase_hooks report, as the command prints it.
ERASED_NAMES = {"voters": "投票/关注身份 / voter identities", "votes": "投票 / votes",
                "comments": "附议留言 / co-signing comments", "subscriptions": "关注 / subscriptions",
                "codes": "验证码 / verification codes", "notices": "通知地址 / notice addresses"}  # fmt: skip


@click.group("privacy")
def privacy_group() -> None:
    """客户数据导出与删除 / customer data export and erasure."""


@privacy_group.command("export")
@click.argument("contact")
@handle_errors
def export_cmd(contact: str) -> None:
    """Print everything stored about the customer with CONTACT as JSON."""
    from feedbackloop.db import session_scope
    from feedbackloop.privacy.services import export_customer

    with session_scope() as session:
        echo_json(export_customer(session, "cli", contact), indent=2)


@privacy_group.command("erase")
@click.argument("contact")
@click.option("--yes", is_flag=True, help="不再确认 / do not ask for confirmation")
@handle_errors
def erase_cmd(contact: str, yes: bool) -> None:
    """Replace the personal data and texts of the customer with CONTACT by "[已删除]" (audited)."""
    from feedbackloop.db import session_scope
    from feedbackloop.privacy.services import erase_customer

    if not yes:
        click.confirm(f"删除 {contact} 的所有个人数据？ / erase all personal data of {contact}?", abort=True)
    with session_scope() as session:
        done = erase_customer(session, "cli", contact)
    ids, other = done["feedback"], done["other"]
    click.echo(f"已删除 {len(ids)} 条反馈中的个人数据 / erased personal data in {len(ids)} items")
    for what, count in other.items():
        click.echo(f"  {ERASED_NAMES.get(what, what)}: {count}")
