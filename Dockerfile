# syntax=docker/dockerfile:1
# The energy-billing service: build with the dev toolchain, run the compiled JavaScript with production
# dependencies only, as the unprivileged `node` user. One image for every ROLE (all, api, projector).

# Node 24, the line CI tests (package.json engines: >= 22.15). better-sqlite3 13 carries its prebuilt
# binaries in the npm package, so no compiler is needed.
FROM node:24-bookworm-slim AS toolchain
WORKDIR /app
COPY package.json package-lock.json ./

FROM toolchain AS prod-deps
# `npm ci`: exactly the committed lockfile (it records every platform's optional packages).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-console.mjs ./scripts/
COPY src ./src
# The server, and the admin console bundled into dist/console (served at /).
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# Two malloc arenas instead of one per thread, and a fixed mmap threshold so that a freed buffer of 128 KB
# or more goes back to the system (glibc otherwise raises the threshold and keeps such buffers resident).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    DATA_DIR=/data \
    PORT=4000
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# /secrets holds the webhook secret key file when a volume shared by the API and the projector is mounted there.
RUN mkdir -p /data /secrets && chown node:node /data /secrets
USER node
EXPOSE 4000
VOLUME ["/data"]
# Ready means: every backend answers and no projection run here is failing (see README, Operations).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=4", "--scavenger-max-new-space-capacity-mb=2", "dist/app/main.js"]
