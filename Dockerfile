# Images for docker-compose.yaml: `app` (generator, subscriber, api: `node dist/src/cli.js <service>`) and
# `nginx` (the built web client behind the deploy/nginx template). Both are built from one `build` stage.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG NGINX_IMAGE=nginx:1.28.0-alpine

# Compile the TypeScript and bundle the web client with every dependency, dev ones included.
# --ignore-scripts: package.json's `prepare` runs the build, before the sources are here (and, in `app`, without tsc).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY web ./web
# tests and bench are not in the context (.dockerignore); unit tests compiled from src/ are dropped.
RUN npm run build && find dist -name '*.test.*' -delete

# nginx serving web/dist; the template and the self-signed-certificate script run at container start.
FROM ${NGINX_IMAGE} AS nginx
RUN apk add --no-cache openssl && rm -f /etc/nginx/conf.d/default.conf && mkdir -p /etc/nginx/tls
COPY deploy/nginx/templates/ /etc/nginx/templates/
COPY deploy/nginx/docker-entrypoint.d/40-tickwatch-self-signed-cert.sh /docker-entrypoint.d/
RUN chmod 755 /docker-entrypoint.d/40-tickwatch-self-signed-cert.sh
COPY --from=build /src/web/dist/ /usr/share/nginx/html/

# The services: production dependencies only, the compiled dist, the migrations it applies at start, no root.
FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY deploy/postgres/migrations ./deploy/postgres/migrations
USER node
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["all"]
