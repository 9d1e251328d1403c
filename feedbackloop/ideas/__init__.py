"""The customer's side of the loop (SPEC §6): the public idea board with verified votes, the "您说，我们做"
changelog, and the staff side (moderation, merge, feedback and themes → ideas, vote threshold → the
product manager's priority queue, notifications when an idea or its improvement plan ships)."""
