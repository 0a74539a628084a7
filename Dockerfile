# Node.js 24 (LTS); compose passes the same default.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: compile TypeScript with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Without the workspaces (session-check/, sdk/: the published packages): the server's build
# compiles their sources from here and needs no link to them.
RUN npm ci --workspaces=false
COPY tsconfig.json app.ts server.ts ./
# The public contract the server, the SDK and the page build from.
COPY contract ./contract
COPY bin ./bin
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
# The session check the server registers for its own routes (plugins/session-check.ts).
COPY session-check ./session-check
# The web page served at / and the client SDK it bundles.
COPY web ./web
COPY sdk/src ./sdk/src
RUN npm run build

# Runtime stage: production dependencies and the compiled output only, as a non-root user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspaces=false && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# /health answers while the process lives; orchestrators should route traffic on /ready.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `npm start` sets MALLOC_MMAP_THRESHOLD_: each argon2 hash allocates its memory (19 MiB) in C, and
# glibc's adaptive threshold would otherwise keep every such block in the heap once freed. It also
# caps V8's young generation (--max-semi-space-size=8); see docs/deployment.md.
CMD ["npm", "start"]
