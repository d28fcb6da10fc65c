"""A knowledge base over the real knowledge/ folder, built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.service import KnowledgeBase
from bot.settings import PROJECT_ROOT, Settings

# The embeddings `make setup` computes (`trialbot kb index`): shared, so tests rarely embed.
SHARED_CACHE = PROJECT_ROOT / "var" / "cache"


def kb_settings(var_dir: Path, knowledge: Path = PROJECT_ROOT / "knowledge") -> Settings:
    return Settings(
        TRIALBOT_VAR_DIR=var_dir,
        TRIALBOT_KNOWLEDGE_DIR=knowledge,
        TRIALBOT_CACHE_DIR=SHARED_CACHE,
        DATABASE_URL="",
        PSEUDONYM_KEY="test-key",
    )


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    knowledge = KnowledgeBase(kb_settings(tmp_path_factory.mktemp("var")))
    assert knowledge.load() == []
    return knowledge


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A copy of knowledge/ that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", target)
    return target
