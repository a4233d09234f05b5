# syntax=docker/dockerfile:1
# Switchboard service image. Asterisk and Redis run elsewhere (see docker-compose.yml).
#   docker build -t switchboard .

# Node.js 26 ("Lithium"), the Active LTS line since 2026-10-28 (maintained to 2029-04-30), on
# Debian 13 (trixie), the Debian of the official Node 26 images. One tag for all three stages.
# The code itself still supports Node 20 and later (package.json "engines": ">=20"; CI runs
# Node 20): keep it free of APIs newer than Node 20, whatever this image runs.
ARG NODE_IMAGE=node:26-trixie-slim

# ---- build: compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY scripts/copy-lua.js scripts/
RUN npm run build

# ---- deps: production node_modules only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY package.json ./
COPY config/demo/ config/demo/

# The container's settings; the service's own defaults are in src/platform/config/env.ts (listed
# in docs/configuration.md). SWITCHBOARD_ARI_PASSWORD has none: pass it at run time.
# Inside a container the HTTP server must listen on 0.0.0.0 to be reachable through a
# published port; outside Docker the default stays 127.0.0.1.
ENV SWITCHBOARD_HTTP_HOST=0.0.0.0 \
    SWITCHBOARD_HTTP_PORT=8080 \
    SWITCHBOARD_ARI_URL=http://asterisk:8088 \
    SWITCHBOARD_ARI_USER=switchboard \
    SWITCHBOARD_ARI_APP=switchboard \
    SWITCHBOARD_REDIS_URL=redis://redis:6379/0 \
    SWITCHBOARD_CONFIG_DIR=/app/config/demo \
    SWITCHBOARD_LOG_LEVEL=info

USER node
EXPOSE 8080
# No curl in the slim image: node's fetch against /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SWITCHBOARD_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start"]
