"""Channel adapters: platform payloads in as Inbound messages, Replies out in platform form."""
