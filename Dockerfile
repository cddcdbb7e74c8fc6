# syntax=docker/dockerfile:1
# `laminar serve` in a container (issue #16, docs/serve.md). Build: docker build -t laminar .
#
# Stage 1 builds dist/ from the sources with the locked dependencies. dist/cli.js is one esbuild
# bundle (scripts/bundle.mjs) with every dependency inside, so the runtime stage needs no
# node_modules: test/serve-packaging.test.ts runs it from a directory holding only what is copied.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` compiles src/, which is not copied yet; `npm run build` does it below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY src/ src/
RUN npm run build

# Stage 2: Node, git and ssh only. The repositories are cloned over SSH (key and known_hosts from a
# mounted secret), HTTPS (token from an environment variable) or file://.
FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
# A numeric, non-root user, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
RUN groupadd --system --gid 10001 laminar \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/laminar --shell /usr/sbin/nologin laminar \
    && mkdir -p /etc/laminar /var/lib/laminar \
    && chown 10001:10001 /var/lib/laminar
WORKDIR /app
COPY --from=build /src/dist/ /app/dist/
ENV NODE_ENV=production \
    HOME=/var/lib/laminar \
    XDG_STATE_HOME=/var/lib/laminar
USER 10001:10001
EXPOSE 8080
VOLUME ["/var/lib/laminar"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini forwards SIGTERM to node and reaps the git/ssh/command children serve starts.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli.js"]
CMD ["serve", "--config", "/etc/laminar/server.yaml", "--state-dir", "/var/lib/laminar", "--listen", "0.0.0.0:8080"]
