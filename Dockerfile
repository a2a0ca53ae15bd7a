# supportbot: one image for every process (`run`, `db upgrade`, `doctor`, ...).
#   docker build -t supportbot .
#   docker run --rm -v "$PWD/config.yaml:/srv/supportbot/config.yaml:ro" supportbot doctor
# compose.yaml runs it with PostgreSQL; docs/deployment.md explains both.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/supportbot
COPY requirements.lock pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY faq ./faq
COPY handoff ./handoff
# The runtime dependencies of pyproject.toml, at the versions the lock file pins.
RUN pip install --constraint requirements.lock . \
 && useradd --system --uid 10001 --home-dir /srv/supportbot --create-home supportbot
COPY examples/faq /srv/supportbot/faq

# The config file, the FAQ and the Discord spool live here (paths in the config are
# relative to the config file).
WORKDIR /srv/supportbot
RUN chown -R supportbot:supportbot /srv/supportbot
USER supportbot

# 8080: /healthz; 8443: Telegram webhook; 3000: Slack Events API (each only if used).
EXPOSE 8080 8443 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["supportbot"]
CMD ["run", "--config", "/srv/supportbot/config.yaml"]
