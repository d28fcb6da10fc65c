"""The trials on offer: named in a message, and read again when staff edit their files."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.screening.trials import Trials, named_in
from bot.settings import PROJECT_ROOT


def test_a_message_names_a_trial_in_either_language() -> None:
    trials = Trials(PROJECT_ROOT / "knowledge").get()
    assert set(trials) == {"demo-t2d-001", "demo-asthma-002"}
    assert named_in(trials, "can I join the asthma study?") == "demo-asthma-002"
    assert named_in(trials, "je suis diabétique, je peux m'inscrire ?") == "demo-t2d-001"
    assert named_in(trials, "Asthmatique depuis 10 ans") == "demo-asthma-002"
    assert named_in(trials, "am I eligible?") is None
    assert named_in(trials, "asthma or diabetes, which one?") is None  # two: ask which
    assert (
        trials["demo-asthma-002"].title("fr") == "Étude AZ-202 sur l'asthme (démonstration fictive)"
    )


def test_an_edited_criteria_file_is_read_again_and_a_broken_one_left_out(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "knowledge" / "trials", tmp_path / "trials")
    trials = Trials(tmp_path)
    assert trials.get()["demo-t2d-001"].criteria.version == 2
    path = tmp_path / "trials" / "demo-t2d-001" / "eligibility.yml"
    path.write_text(path.read_text().replace("version: 2 ", "version: 3 "))
    assert trials.get()["demo-t2d-001"].criteria.version == 3
    path.write_text(path.read_text().replace("{question: age,", "{question: agee,"))
    assert set(trials.get()) == {"demo-asthma-002"}  # `kb lint` says why, with the line
