"""The gateway: the one message path from every channel to Rasa, and the web chat."""
