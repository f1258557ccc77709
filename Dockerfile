# playhead serve in a container. Two stages: the first compiles better-sqlite3's native module
# (which needs python3, make and g++); the second gets the installed node_modules and the
# sources, without the compilers. No build step for the TypeScript: bin/playhead.js runs it
# through tsx, a runtime dependency.
#
#   docker build -t playhead .
#   docker run -d -p 8787:8787 -v playhead-data:/data -e PLAYHEAD_API_TOKEN=... playhead
#
# /data holds playhead.yaml (PLAYHEAD_CONFIG) and, next to it, the state database (a relative
# `state.path` is relative to the config file: the default is /data/playhead.db).

FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Compile better-sqlite3 against this image's Node and glibc rather than download a prebuilt one.
ENV npm_config_build_from_source=true
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PLAYHEAD_CONFIG=/data/playhead.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
# `playhead demo` and `playhead emulate` start the emulators; serve itself does not need them.
COPY emulators ./emulators
# The image's `node` user (uid 1000) owns /data; nothing runs as root.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
WORKDIR /data
EXPOSE 8787
# No curl in the slim image: Node's own fetch asks /healthz (open without the API token).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/playhead.js"]
# Any host but loopback needs PLAYHEAD_API_TOKEN: without it serve refuses to start.
CMD ["serve", "--host", "0.0.0.0", "--port", "8787"]
