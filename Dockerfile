# syntax=docker/dockerfile:1

# ---- build: all dependencies, compile TypeScript to dist/ ----
# Node 24 is the current LTS; the code also runs on Node 20.19+ (package.json engines), which CI uses.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/protocol/package.json ./packages/protocol/
COPY packages/client/package.json ./packages/client/
# `prepare` (scripts/prepare.mjs) compiles the workspace packages when their sources are there; here they are not yet.
COPY scripts/prepare.mjs ./scripts/
COPY web/package.json ./web/
RUN npm ci
COPY nest-cli.json tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY packages ./packages
COPY src ./src
COPY web ./web
RUN npm run build

# ---- test: the suite against the compose Postgres and Redis (docker compose --profile test run --rm tests) ----
FROM build AS test
# Debian's packages, no compiler: Chromium for the browser specs (test/web), and the Postgres server programs and
# redis-server that the fault specs start, stop and cut on their own ports (test/faults); REQUIRE_SERVICES=1 fails
# those projects when they are missing.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium postgresql redis-server \
  && rm -rf /var/lib/apt/lists/*
COPY jest.config.mjs ./
COPY scripts ./scripts
COPY examples ./examples
COPY test ./test
# What the unit specs check besides the code: the docs and their links, the Grafana dashboard, the nginx config.
COPY README.md CONTRIBUTING.md CHANGELOG.md LICENSE .env.example ./
COPY docs ./docs
COPY deploy ./deploy
CMD ["npm", "test"]

# ---- runtime: production dependencies and the compiled output only ----
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/protocol/package.json ./packages/protocol/
COPY packages/client/package.json ./packages/client/
COPY scripts/prepare.mjs ./scripts/
COPY web/package.json ./web/
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The web app, served at / (everything it needs is bundled: its packages are devDependencies).
COPY --from=build /app/web/dist ./web/dist
# The server imports @realtime-hub/protocol (a workspace link to packages/protocol): its compiled output.
COPY --from=build /app/packages/protocol/dist ./packages/protocol/dist
# DATA_DIR (./data) holds admin-password.txt when ADMIN_PASSWORD is unset; it must be writable by `node`.
RUN mkdir -p /app/data && chown node:node /app/data
ENV NODE_ENV=production
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/v1/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# Migrations run at start under a Postgres advisory lock; to run them first (a release job):
#   docker run --rm -e DATABASE_URL=... -e JWT_SECRET=... realtime-hub npm run migration:run:prod
# (the image runs with NODE_ENV=production, whose configuration check asks for JWT_SECRET)
CMD ["node", "dist/src/main.js"]
