# Gatehouse, the edge gateway, on Node 26 (the current LTS line).
#
#   docker build -t gatehouse .
#   docker run -v "$PWD/gateway.config.ts:/app/gateway.config.ts:ro" -p 8080:8080 gatehouse
#
# BASE is any image with Node >= 22.12 at `node` on PATH (and npm, for the deps stage); the tests
# build with a stand-in imported offline (test/support/base-image.ts). On Node >= 22.18 the config
# loads with Node's own type stripping; older Node bundles it with esbuild at start.
ARG BASE=node:26-slim

# --- deps: production dependencies only, from the lockfile ---------------------------------------
FROM ${BASE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lockfile's production tree.
# --ignore-scripts: no install script is needed at run time (esbuild finds its binary in the
# @esbuild/<platform> optional package; ssh2/cpu-features would try to compile optional native
# addons), and the build then needs nothing but the npm registry.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier \
 && mkdir -p node_modules/.cache/gatehouse

# --- build: the JavaScript that ships (dist/), by esbuild, a production dependency ------------------
FROM deps AS build
COPY scripts/build.js scripts/
COPY core core/
COPY plugins plugins/
COPY bin bin/
RUN node scripts/build.js --js && rm dist/.js-built

# --- runtime ---------------------------------------------------------------------------------------
FROM ${BASE}
WORKDIR /app
# Code and dependencies are root-owned and read-only for the gateway's user; only the cache where
# a config that Node cannot load itself is bundled at start is writable (copied with --chown, so
# the runtime stage needs no shell).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps --chown=10001:10001 /app/node_modules/.cache ./node_modules/.cache
COPY --from=build /app/dist ./dist/
# gateway.config.ts and registry.json: the embedded default and the file registry it watches.
COPY package.json package-lock.json gateway.config.ts registry.json ./
COPY bin ./bin/

ENV NODE_ENV=production \
    GATEHOUSE_HEALTH_URL=http://127.0.0.1:8080/__gatehouse/health
USER 10001:10001
EXPOSE 8080

# No curl in the image: Node's own fetch probes the gateway's healthPath. If your config listens
# elsewhere than port 8080 or changes healthPath, set GATEHOUSE_HEALTH_URL (docker run -e …).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.GATEHOUSE_HEALTH_URL, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Node runs as PID 1 and handles SIGTERM itself (stop accepting, drain within shutdown.grace,
# exit 0); keep `docker stop --time` above shutdown.grace (default 10s) so Docker does not SIGKILL
# a drain in progress.
STOPSIGNAL SIGTERM
# Arguments after the image name are appended, e.g. `docker run … gatehouse --log json`.
ENTRYPOINT ["node", "/app/bin/gatehouse.js", "start", "--config", "/app/gateway.config.ts"]
