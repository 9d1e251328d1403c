"""Operations: database-agnostic backup and restore (SPEC §9, §11)."""
