"""Signed inbound webhooks from CRMs and shops (SPEC §3, §9)."""
