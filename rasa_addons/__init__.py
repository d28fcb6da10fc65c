"""Code that runs inside the Rasa server (`.venv-rasa`, Python 3.10, rasa 3.6), on its PYTHONPATH.

Kept apart from `bot/` (Python 3.11, SQLAlchemy 2) and importing nothing of it: the launcher that
keeps Rasa's secrets off its command line, and the tracker store that encrypts what Rasa stores.
"""
