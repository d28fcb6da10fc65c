"""What people write stays out of Rasa's own log events (rasa_addons.launch)."""

from __future__ import annotations

from tests.rasa.running import rasa_python

# Rasa's REST channel logs this event, with the message, when a request times out.
SNIPPET = """
import structlog
from rasa_addons.launch import keep_words_out_of_logs
from rasa.utils.log_utils import configure_structlog
keep_words_out_of_logs()
configure_structlog(20)
structlog.get_logger().error("rest.message.received.timeout", text="I'm 52 and pregnant")
"""


def test_a_timed_out_message_is_logged_without_its_words() -> None:
    result = rasa_python("-c", SNIPPET, log_level="INFO", timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    logged = result.stdout + result.stderr
    assert "rest.message.received.timeout" in logged
    assert "pregnant" not in logged and "52" not in logged
