"""The closed loop (SPEC §5–6): status life cycle, priority, routing, SLA, escalation, replies, status link."""
