# Sparki's image: what `make install` (pip install -e .) and `make assets` install, no more.
# The same image runs every process (web, worker, deployer, scheduler: see deploy/kubernetes/);
# on Kubernetes the runtime is `kubernetes`, so no agent runs. Not built on the development machines (no Docker
# there): build it with `docker build -t sparki .`.

# The front-end assets come from the npm registry at the versions package-lock.json pins.
FROM node:22-slim AS assets
WORKDIR /src
COPY package.json package-lock.json Makefile ./
RUN apt-get update -qq && apt-get install -y -qq make >/dev/null && rm -rf /var/lib/apt/lists/*
RUN make assets PYTHON=true

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SPARKI_INSTANCE_PATH=/var/lib/sparki
WORKDIR /app
COPY pyproject.toml README.md app.py gunicorn.conf.py Procfile ./
COPY blueprints ./blueprints
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY --from=assets /src/static/vendor ./static/vendor
RUN pip install --no-cache-dir -e . \
    && useradd --uid 10001 --create-home sparki \
    && mkdir -p /var/lib/sparki && chown sparki /var/lib/sparki
USER 10001
EXPOSE 8883 8884
CMD ["sh", "-c", "exec gunicorn -c gunicorn.conf.py --bind 0.0.0.0:${API_PORT:-8883} --bind 0.0.0.0:${SPARKI_PROXY_PORT:-8884} --workers ${WEB_CONCURRENCY:-2} 'app:create_app()'"]
