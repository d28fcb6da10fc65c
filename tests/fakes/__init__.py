"""Fakes of the external HTTP APIs the channel adapters talk to, served over real HTTP."""
