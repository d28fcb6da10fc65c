"""Message-to-reply latency through the gateway and straight to Rasa."""
