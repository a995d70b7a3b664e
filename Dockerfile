# syntax=docker/dockerfile:1
# Every Lumina image, from one file. Build context: the repository root (npm workspaces;
# @lumina/common is built into each Node image).
#
#   a service  --build-arg WORKSPACE=<auth|posts|media|search|timeline>   targets: runtime, dev
#   lumina-ops --build-arg WORKSPACE=infra/ops                            target:  ops
#   the client                                                            targets: client, client-dev
#
# NODE_IMAGE is Alpine by default (auth's argon2 ships musl prebuilds, so nothing is compiled);
# media builds with NODE_IMAGE=node:24-bookworm-slim (sharp's prebuilt libvips is glibc), and the
# client with CLIENT_NODE_IMAGE (Vite's and Tailwind's native bindings are glibc prebuilds).
ARG NODE_IMAGE=node:24-alpine
ARG CLIENT_NODE_IMAGE=node:24-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.29-alpine

# Only the package manifests, so the dependency layers stay cached until a dependency changes.
# npm reads the lockfile against every workspace the root lists, so all their manifests come.
# npm install, not npm ci: npm writes lockfiles without other platforms' optional binaries
# (npm/cli#4828, #8320) and npm ci refuses them; npm install installs the locked versions.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.base.json ./
COPY common/package.json common/
COPY auth/package.json auth/
COPY posts/package.json posts/
COPY media/package.json media/
COPY search/package.json search/
COPY timeline/package.json timeline/
COPY client/package.json client/
COPY infra/ops/package.json infra/ops/
COPY infra/local/package.json infra/local/
COPY datasets/package.json datasets/
COPY e2e/package.json e2e/
COPY chaos/package.json chaos/
COPY contract/package.json contract/
COPY bench/package.json bench/

# ---- Node images: a service or lumina-ops -----------------------------------------------------

# Everything needed to compile: the root's dev tools (typescript, tsx) plus both workspaces' deps.
FROM manifests AS deps
ARG WORKSPACE
RUN test -n "${WORKSPACE}" || (echo 'set --build-arg WORKSPACE=<auth|posts|media|search|timeline|infra/ops>' >&2 && exit 1)
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund --include-workspace-root -w contract -w common -w ${WORKSPACE}

FROM deps AS build
ARG WORKSPACE
COPY contract/ contract/
COPY common/ common/
COPY ${WORKSPACE}/ ${WORKSPACE}/
# <workspace>/tsconfig.json references common, which references contract: this builds contract/dist
# and common/dist first, then <workspace>/dist.
RUN npx tsc -b ${WORKSPACE}

# Production dependencies only; workspace folders get an (empty if unused) node_modules to copy.
FROM manifests AS prod-deps
ARG WORKSPACE
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund --omit=dev -w contract -w common -w ${WORKSPACE} \
  && mkdir -p contract/node_modules common/node_modules ${WORKSPACE}/node_modules

# Development: sources synced by Skaffold into /app/<workspace>/src, reloaded by tsx watch. common
# is built once here (a change to it rebuilds the image). Runs as the image's non-root `node` user.
FROM build AS dev
ARG WORKSPACE
ENV NODE_ENV=development PORT=3000
RUN chown -R 1000:1000 /app/${WORKSPACE}/src
WORKDIR /app/${WORKSPACE}
USER 1000:1000
EXPOSE 3000
CMD ["npx", "tsx", "watch", "--clear-screen=false", "src/index.ts"]

# What a service and lumina-ops run: the compiled workspace and its production dependencies.
FROM ${NODE_IMAGE} AS node-app
ARG WORKSPACE
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=prod-deps /app/package.json ./
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=prod-deps /app/contract/node_modules contract/node_modules
COPY --from=prod-deps /app/common/node_modules common/node_modules
COPY --from=prod-deps /app/${WORKSPACE}/node_modules ${WORKSPACE}/node_modules
COPY --from=build /app/contract/package.json contract/
COPY --from=build /app/contract/dist contract/dist
COPY --from=build /app/common/package.json common/
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/${WORKSPACE}/package.json ${WORKSPACE}/
COPY --from=build /app/${WORKSPACE}/dist ${WORKSPACE}/dist
WORKDIR /app/${WORKSPACE}
# The numeric id of the image's `node` user, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000

# A service (media: one image, two roles, MEDIA_ROLE=api | worker).
FROM node-app AS runtime
CMD ["node", "dist/index.js"]

# The operator's tool: in the cluster it runs `autoscale`; `status`, `scale` and `restart` work
# from the same image with a kubeconfig.
FROM node-app AS ops
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["status"]

# ---- The web client: built by Vite, served as static files by an unprivileged NGINX -------------

FROM ${CLIENT_NODE_IMAGE} AS client-build
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund --include-workspace-root -w contract -w client
# The client calls the API through @lumina/contract's typed client, bundled from its sources.
COPY contract/ contract/
COPY client/ client/
RUN npm run build -w client

# Development: Vite's dev server on 8080; Skaffold syncs client/src and Vite reloads the page.
FROM client-build AS client-dev
ENV NODE_ENV=development
RUN chown -R 1000:1000 /app/client/src
WORKDIR /app/client
USER 1000:1000
EXPOSE 8080
CMD ["npx", "vite", "--host", "0.0.0.0", "--port", "8080", "--strictPort"]

# Uid 101, port 8080, no root needed.
FROM ${NGINX_IMAGE} AS client
# Hashed assets are immutable; index.html is revalidated so a deploy shows at once. Unknown
# paths answer index.html (client-side routes). /healthz and /readyz answer the kubelet.
COPY <<'NGINX' /etc/nginx/conf.d/default.conf
server {
  listen 8080;
  server_name _;
  root /usr/share/nginx/html;
  server_tokens off;
  add_header X-Content-Type-Options nosniff always;
  location = /healthz { access_log off; default_type text/plain; return 200 "ok\n"; }
  location = /readyz  { access_log off; default_type text/plain; return 200 "ok\n"; }
  location /assets/ {
    add_header Cache-Control "public, max-age=31536000, immutable";
    try_files $uri =404;
  }
  location / {
    add_header Cache-Control "no-cache";
    try_files $uri $uri/ /index.html;
  }
}
NGINX
COPY --from=client-build /app/client/dist /usr/share/nginx/html
USER 101:101
EXPOSE 8080
