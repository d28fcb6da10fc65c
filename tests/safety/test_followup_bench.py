"""bench/safety_followup plays a report as the chat does: it asks only what the report did not
tell, reads the answer typed to it, and counts a question about a fact the report had told."""

from __future__ import annotations

import datetime as dt

from bench.safety_followup.__main__ import score

RECEIVED = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)


def test_a_fact_the_report_does_not_give_is_asked_and_read_from_the_answer() -> None:
    item = {
        "report": "nausea",
        "answers": {"onset": "yesterday", "ongoing": "yes still", "care": "no"},
        "told": [],
        "expect": {"onset": "2026-11-17", "ongoing": True, "serious": False, "seriousness": []},
    }
    result = score([item], RECEIVED)
    assert result.share("all") == 1.0
    assert result.told == 0 and result.asked_again_share() is None


def test_a_question_about_what_the_report_told_counts_as_asked_again() -> None:
    told = {
        "report": "rash on my arms since monday, still itchy, didn't see anyone",
        "answers": {"onset": "i said monday", "ongoing": "yes", "care": "no"},
        "told": ["onset", "ongoing", "care"],
        "expect": {"onset": "2026-11-16", "ongoing": True, "serious": False, "seriousness": []},
    }
    result = score([told], RECEIVED)
    assert result.share("all") == 1.0
    assert result.told == 3
    assert result.asked_again == 0  # all three read in the report
    unread = {**told, "report": "rash on my arms, didn't see anyone", "told": ["ongoing"]}
    again = score([unread], RECEIVED)
    assert again.asked_again_share() == 1.0  # the course was "told" in words not read: asked
