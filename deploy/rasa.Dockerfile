# The Rasa image, Python 3.10 (.venv-rasa's; Rasa 3.6 does not run on 3.11): Rasa with the
# project's rasa_addons and the model, trained while the image is built. Built from the
# repository's root:
#   docker build -f deploy/rasa.Dockerfile -t trialbot-rasa .
#
# Why train here rather than in a one-shot step: the model is made from config.yml, domain.yml
# and data/ alone, which are in this image. Trained with them, every replica of one image runs the
# same model, no volume has to be shared between Rasa servers, a server starts by loading it
# (no training, no waiting on another container), and a rolling restart onto a new image changes
# model and rasa_addons together: a model never meets code of another release.
FROM python:3.10-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# requirements/rasa.txt is Rasa's whole environment with its files' hashes, as
# scripts/setup.sh installs it.
COPY requirements/rasa.txt requirements/rasa.txt
RUN python -m venv /app/.venv-rasa \
    && /app/.venv-rasa/bin/pip install --require-hashes --no-deps \
        --requirement requirements/rasa.txt \
    && /app/.venv-rasa/bin/pip check

# What bot/rasa_server.py's rasa_env sets for every Rasa process but the secrets and addresses,
# which compose.yml gives (tests/deploy checks that the two agree).
ENV PATH=/app/.venv-rasa/bin:$PATH \
    PYTHONPATH=/app \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    RASA_TELEMETRY_ENABLED=false \
    PYTHONWARNINGS=ignore

COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY rasa_addons rasa_addons
COPY data data
# As `trialbot train` runs it (bot/rasa_server.py), into a fixed name; Rasa's training cache goes
# with the layer.
RUN RASA_CACHE_DIRECTORY=/tmp/rasa-cache rasa train \
        --config config.yml --domain domain.yml --data data \
        --out models --fixed-model-name trialbot \
    && rm -rf /tmp/rasa-cache

RUN useradd --system --uid 10002 --user-group --create-home --home-dir /home/rasa rasa
USER 10002:10002

EXPOSE 5005
# As `trialbot rasa` starts it: the token comes from RASA_AUTH_TOKEN, never the command line.
CMD ["python", "-m", "rasa_addons.launch", "rasa", "run", "--enable-api", \
     "--interface", "0.0.0.0", "--port", "5005", "--model", "/app/models/trialbot.tar.gz", \
     "--endpoints", "/app/endpoints.yml", "--credentials", "/app/credentials.yml"]
