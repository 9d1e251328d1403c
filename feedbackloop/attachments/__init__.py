"""Files attached to feedback: stored under var/attachments with generated names, type-checked (SPEC §2)."""
