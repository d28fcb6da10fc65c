"""Retrieval accuracy, abstention and latency of the knowledge base."""
