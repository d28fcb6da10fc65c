"""Multi-turn patient conversations scored turn by turn against the real stack."""
