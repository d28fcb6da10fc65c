"""English and French: detecting which one a person writes, and the gateway's own texts."""
