"""The trials on offer: named in a message, and read again when staff edit their files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.trials import Catalogue, named_in


def test_a_message_names_a_trial_in_either_language() -> None:
    trials = Catalogue(PROJECT_ROOT / "knowledge").screenable()
    assert set(trials) == {"demo-t2d-001", "demo-asthma-002"}
    assert named_in(trials, "can I join the asthma study?") == "demo-asthma-002"
    assert named_in(trials, "je suis diabétique, je peux m'inscrire ?") == "demo-t2d-001"
    assert named_in(trials, "Asthmatique depuis 10 ans") == "demo-asthma-002"
    assert named_in(trials, "am I eligible?") is None
    assert named_in(trials, "asthma or diabetes, which one?") is None  # two: ask which
    assert (
        trials["demo-asthma-002"].title("fr") == "Étude AZ-202 sur l'asthme (démonstration fictive)"
    )


def test_a_trial_has_a_name_for_inside_a_sentence_and_a_number_to_call(tmp_path: Path) -> None:
    trials = Catalogue(PROJECT_ROOT / "knowledge").screenable()
    assert trials["demo-t2d-001"].named("fr") == "l'étude DMX-101 (démonstration fictive)"
    assert trials["demo-t2d-001"].named("en") == "the DMX-101 study (fictional demo)"
    assert trials["demo-t2d-001"].phone == "+33 1 99 00 12 34"
    # Without its own name in a sentence or its own number: the short title, the first site's.
    shutil.copytree(PROJECT_ROOT / "knowledge" / "trials", tmp_path / "trials")
    path = tmp_path / "trials" / "demo-asthma-002" / "trial.yml"
    text = re.sub(r"\nin_sentence:\n(  .*\n)+", "\n", path.read_text())
    path.write_text(re.sub(r"\n  phone: .*", "", text))
    trial = Catalogue(tmp_path).screenable()["demo-asthma-002"]
    assert trial.named("en") == "AZ-202 asthma study (fictional demo)"
    assert trial.phone == "+33 1 99 00 12 41"


def test_an_edited_criteria_file_is_read_again_and_a_broken_one_left_out(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "knowledge" / "trials", tmp_path / "trials")
    trials = Catalogue(tmp_path)
    version = trials.screenable()["demo-t2d-001"].criteria.version
    path = tmp_path / "trials" / "demo-t2d-001" / "eligibility.yml"
    path.write_text(path.read_text().replace(f"version: {version} ", f"version: {version + 1} "))
    assert trials.screenable()["demo-t2d-001"].criteria.version == version + 1
    path.write_text(path.read_text().replace("{question: age,", "{question: agee,"))
    assert set(trials.screenable()) == {"demo-asthma-002"}  # `kb lint` says why, with the line
