/** A service's OpenAPI 3.1 document, generated from its route table (zod-to-openapi). */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ApiRoute, ServiceContract } from './route';
import { ErrorBody } from './shapes';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad input: `field` names what to fix',
  401: 'Not signed in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported media type',
  422: 'A valid request that cannot be carried out',
  429: 'Rate limited: see Retry-After',
  503: 'Unavailable: try again later',
};

/** `/api/v1/posts/:id` → `/api/v1/posts/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function routeConfig(route: ApiRoute, tag: string): RouteConfig {
  const { request = {} } = route;
  const responses: RouteConfig['responses'] = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (spec.body) responses[status] = { description: spec.description, content: { 'application/json': { schema: spec.body } } };
    else if (spec.contentType)
      responses[status] = { description: spec.description, content: { [spec.contentType]: { schema: { type: 'string' } } } };
    else responses[status] = { description: spec.description };
  }
  for (const status of route.errors ?? []) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': { schema: ErrorBody } },
    };
  }
  const body = request.body
    ? { content: { 'application/json': { schema: request.body } } }
    : request.multipart
      ? { content: { 'multipart/form-data': { schema: request.multipart } } }
      : undefined;
  return {
    method: route.method,
    path: openApiPath(route.path),
    tags: [tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.auth === 'required' ? { security: [{ session: [] }, { bearer: [] }] } : {}),
    request: {
      ...(request.params ? { params: request.params } : {}),
      ...(request.query ? { query: request.query } : {}),
      ...(request.headers ? { headers: request.headers } : {}),
      ...(body ? { body: { ...body, required: true } } : {}),
    },
    responses,
  };
}

export function openApiDocument(contract: ServiceContract, version = '1.0.0'): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'session',
    description: 'The session cookie that sign-up and sign-in set (`__Host-session` behind TLS)',
  });
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const route of Object.values(contract.routes)) registry.registerPath(routeConfig(route, contract.service));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: contract.title, version, description: contract.description },
    servers: [{ url: '/' }],
    tags: [{ name: contract.service, description: contract.description }],
  });
}
