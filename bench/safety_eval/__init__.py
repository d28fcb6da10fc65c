"""The safety check measured on labelled messages."""
