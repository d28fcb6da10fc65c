# The application image, Python 3.11 (.venv's): the gateway (`trialbot serve`), the action server
# (`trialbot actions`), the reminder dispatcher (`trialbot dispatcher`) and the one-shot steps
# (`trialbot db upgrade`, `trialbot kb tune --if-needed`). One image; compose.yml picks the role
# by its command. Built from the repository's root:
#   docker build -f deploy/app.Dockerfile -t trialbot-app .
# Nothing is downloaded when a container runs: the encoder comes in a Python package.
# The tag's latest 3.11 (3.11.3 at least: below it, redis needs async-timeout, which
# requirements/app.txt does not hold).
FROM python:3.11-slim-bookworm

# The consent copies' PDF font (bot/consent/copy.py): every letter of English and French.
# Debian's versions are left to the release's security updates, not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# requirements/app.txt is the whole environment, each release with its files' hashes, as
# scripts/setup.sh installs it: pip resolves nothing. PyTorch's CPU build (torch==2.13.0+cpu, its
# x86_64 wheel's hash) comes from PyTorch's CPU index; left to resolve, `torch` pulls a
# multi-gigabyte CUDA build.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY requirements/app.txt requirements/app.txt
RUN python -m venv /app/.venv \
    && /app/.venv/bin/pip install --extra-index-url "$TORCH_INDEX_URL" \
        --require-hashes --no-deps --requirement requirements/app.txt

# The project itself, editable as `make setup` installs it: its files stay where the code
# expects them (bot.settings.PROJECT_ROOT is /app).
COPY pyproject.toml README.md alembic.ini ./
COPY bot bot
COPY actions actions
COPY knowledge knowledge
RUN /app/.venv/bin/pip install --no-deps --editable . \
    && /app/.venv/bin/pip check

# A user of its own; what it writes (embedding cache, tuned encoders) goes under
# /var/lib/trialbot, which compose.yml puts on volumes.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/trialbot trialbot \
    && mkdir -p /var/lib/trialbot/cache /var/lib/trialbot/encoders \
    && chown -R trialbot:trialbot /var/lib/trialbot \
    && chmod 0700 /var/lib/trialbot
USER 10001:10001

ENV PATH=/app/.venv/bin:$PATH \
    TRIALBOT_VAR_DIR=/var/lib/trialbot \
    TRIALBOT_CACHE_DIR=/var/lib/trialbot/cache \
    KB_ENCODER_DIR=/var/lib/trialbot/encoders \
    GATEWAY_HOST=0.0.0.0 \
    ACTIONS_HOST=0.0.0.0

EXPOSE 8000 5055
ENTRYPOINT ["trialbot"]
CMD ["serve"]
