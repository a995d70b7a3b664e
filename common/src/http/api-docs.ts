/**
 * A service's API documentation: its OpenAPI 3.1 document at `/openapi.json` and Swagger UI at
 * `/docs`, both on the service's own port and under its prefix (`/api/v1/posts/docs`), the path the
 * entry point (NGINX, the Ingress) forwards unchanged; also under the deprecated unversioned
 * prefix (`/api/posts/docs`) for one release. The document lists the v1 paths only. Swagger UI comes from the swagger-ui-dist
 * package and is served from here: no CDN.
 */
import { dirname, join } from 'node:path';
import { Router, type Express, type RequestHandler } from 'express';

/** Swagger UI's folder, found without loading its browser bundle into Node. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png'];

/** Swagger UI sets inline styles and data: images; everything else is this origin's. */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>__TITLE__</title>
    <link rel="icon" type="image/png" href="favicon-32x32.png" />
    <link rel="stylesheet" href="swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="swagger-ui-bundle.js"></script>
    <script src="init.js"></script>
  </body>
</html>
`;

// Relative to the page (…/docs/), so it finds …/openapi.json under whatever prefix served it.
const INIT = `window.ui = SwaggerUIBundle({
  url: new URL('../openapi.json', window.location.href).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function docsRouter(document: { info: { title: string } }): Router {
  const router = Router({ strict: true });
  const page = PAGE.replace('__TITLE__', escapeHtml(document.info.title));
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(document);
  });
  // `docs` → `docs/`, relative, so the redirect keeps whatever prefix the request came through.
  router.get('/docs', (_req, res) => {
    res.redirect(301, 'docs/');
  });
  router.get('/docs/', (_req, res) => {
    res.set({ 'Content-Security-Policy': DOCS_CSP, 'Cache-Control': 'no-cache' }).type('html').send(page);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('js').send(INIT);
  });
  for (const asset of ASSETS) {
    router.get(`/docs/${asset}`, (_req, res) => {
      res.set('Cache-Control', 'public, max-age=86400').sendFile(join(SWAGGER_UI_DIR, asset));
    });
  }
  return router;
}

/**
 * Mounts the document and Swagger UI under `prefix`, and at the root unless `before` is given (a
 * deprecated alias's prefix, whose answers `before` marks); call before the service's routes.
 */
export function serveApiDocs(app: Express, document: { info: { title: string } }, prefix?: string, before?: RequestHandler): void {
  const router = docsRouter(document);
  if (before) {
    if (prefix) app.use(prefix, before, router);
    return;
  }
  app.use(router);
  if (prefix) app.use(prefix, router);
}
