# One image for every Node service (router and the three workers); the command picks the service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY proto ./proto
COPY bin ./bin
COPY scripts ./scripts
COPY tsconfig.base.json tsconfig.json tsconfig.build.json nx.json ./
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
# The code worker's execution checks (CODE_WORKER_EXECUTE, off by default) run solutions with
# python3 inside bubblewrap.
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production MODELS_DIR=/models
COPY --from=build /app /app
VOLUME ["/models"]
ENTRYPOINT ["node", "bin/slm.js"]
