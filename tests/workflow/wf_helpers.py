"""Helpers shared by the workflow tests."""

from __future__ import annotations

from mail_sink import free_port

__all__ = ["free_port"]
