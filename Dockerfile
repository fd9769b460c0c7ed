# Parley API image. Node 24 comes from the `node` npm package pinned in package.json,
# so the base image only needs npm. `npm run docker:check` (CI) runs these steps without an engine.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The client SDK is an npm workspace: npm ci links it, so its manifest comes with the lockfile.
COPY client/package.json ./client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` also bundles the demo console (scripts/build-demo.mjs), SDK compiled in from client/src,
# and the GraphiQL page's script (scripts/build-graphiql.mjs).
COPY scripts ./scripts
COPY demo ./demo
COPY graphiql ./graphiql
COPY client ./client
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The GraphiQL IDE (off in production unless GRAPHIQL=true) opens these as example tabs.
COPY examples ./examples
# DATA_DIR belongs to the runtime user: a named volume mounted here starts as a copy of this
# directory, ownership included, so attachments (and an embedded database) can be written.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
