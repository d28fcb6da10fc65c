"""A person's rights over what the assistant holds: to withdraw consent, to stop its messages, to
erasure. Each reaches across consent, pre-screening, reminders and hand-offs, so it lives above
them: those packages never need this one."""
