"""`feedbackloop createuser`: accounts from the command line."""

from __future__ import annotations

import click

from feedbackloop.cli_support import handle_errors


@click.command("createuser")
@click.argument("username")
@click.option("--role", default="agent", show_default=True)
@click.password_option()
@handle_errors
def createuser(username: str, role: str, password: str) -> None:
    """Create a user with a role (agent, supervisor, product_manager, csm, analyst, admin)."""
    from feedbackloop.accounts.services import create_user
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import session_scope

    prepare_database(get_settings())
    with session_scope() as session:
        create_user(session, username, password, role=role)
    click.echo(f"已创建用户 {username} ({role}) / user created")
