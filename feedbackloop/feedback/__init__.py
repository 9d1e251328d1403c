"""The feedback record and every way it comes in (SPEC §2, §3)."""
