# syntax=docker/dockerfile:1
# The tokenflow worker: compiled TypeScript with production dependencies on Node 20.
# docker-compose.yml builds it as the `tokenflow-worker` service.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched for this Node version.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# node-llama-cpp ships its prebuilt engines as optional packages; never build llama.cpp during install.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
  && (node -e "require('better-sqlite3')(':memory:').close()" \
    || (npm rebuild better-sqlite3 && node -e "require('better-sqlite3')(':memory:').close()"))
COPY tsconfig.json ./
COPY src ./src
RUN npm run build
# vega-datasets (the bundled sample prices) is a runtime dependency, so the prune keeps it.
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  TOKENFLOW_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY samples ./samples
RUN mkdir -p /data /app/models && chown node:node /data
USER node
VOLUME ["/data"]
CMD ["node", "lib/src/cli/main.js", "worker"]
