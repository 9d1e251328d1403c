"""Users, roles, passwords, sessions and API tokens (SPEC §1, §9)."""
