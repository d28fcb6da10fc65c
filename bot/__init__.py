"""A patient-support assistant for clinical trials."""

__version__ = "0.1.0"
