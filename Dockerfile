# syntax=docker/dockerfile:1
# One image for every DML role; docker-compose.yml picks the role with the command
# (`node services/<role>/dist/main.js`) and configures it with DML_* environment variables.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# The whole context (see .dockerignore) goes in before `npm ci`: npm workspaces need every
# workspace's package.json, and listing them one by one here would silently miss new ones.
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci
# Generated protobuf code is committed (CI checks it is fresh), so no buf step is needed here.
RUN npm run build
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# Stores keep their bytes in DML_DATA_DIR; a fresh named volume mounted on /data copies this
# directory's ownership, so the unprivileged `node` user can write there.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 7000 8080 8081
CMD ["node", "-e", "console.log([\
'DML image: run one node per container, chosen by the command:',\
'  node services/scheduler/dist/main.js',\
'  node services/trainer/dist/main.js',\
'  node services/store/dist/main.js',\
'  node services/gateway/dist/main.js',\
'configured with DML_ETCD, DML_NODE_ID, DML_LISTEN, DML_ADVERTISE, DML_DATA_DIR, DML_API_TOKEN, ...',\
'CLI: node packages/cli/dist/main.js --help',\
'A whole cluster: DML_API_TOKEN=... docker compose up -d --build --wait'].join('\\n'))"]
