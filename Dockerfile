# The api and worker image (one image, two commands). Build: docker build -t payments .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# the sandbox's state volume (docker-compose.yml) starts as this folder: owned by the user that writes it
RUN mkdir -p /home/node/sandbox && chown node:node /home/node/sandbox
USER node
# docker-compose.yml picks the process: migrate, api or worker.
CMD ["node", "dist/api/server.js"]
