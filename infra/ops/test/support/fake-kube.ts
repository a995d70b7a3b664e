/**
 * A FAKE Kubernetes API server, served over HTTP inside the test process. No cluster runs on
 * this machine, so the operator's tool is tested against this stand-in: it speaks the few
 * apps/v1 and autoscaling/v2 endpoints lumina-ops calls (through the real
 * @kubernetes/client-node), keeps Deployments in memory, checks resourceVersion like the real
 * API server (409 on a stale update), records every request, and can be told to fail.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface FakeDeployment {
  replicas: number;
  ready?: number;
  resourceVersion: number;
  templateAnnotations: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
}

export interface FakeHpa {
  name: string;
  target: string;
  min: number;
  max: number;
}

export class FakeKubeApi {
  readonly deployments = new Map<string, FakeDeployment>();
  readonly hpas: FakeHpa[] = [];
  readonly requests: RecordedRequest[] = [];
  /** When set, every request is answered with this status (an API server in trouble). */
  failWith?: number;
  private server?: Server;
  url = '';

  constructor(readonly namespace = 'lumina') {}

  addDeployment(name: string, replicas: number): void {
    this.deployments.set(name, { replicas, ready: replicas, resourceVersion: 1, templateAnnotations: {} });
  }

  replicas(name: string): number | undefined {
    return this.deployments.get(name)?.replicas;
  }

  /** Requests that would have changed something. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** A kubeconfig file pointing at this server, as an operator's would point at a cluster. */
  writeKubeconfig(dir: string): string {
    const file = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: fake, cluster: { server: "' + this.url + '", insecure-skip-tls-verify: true } }]',
        'users: [{ name: operator, user: { token: fake-token } }]',
        `contexts: [{ name: fake, context: { cluster: fake, user: operator, namespace: ${this.namespace} } }]`,
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    const path = (req.url ?? '').split('?')[0] ?? '';
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, contentType: req.headers['content-type'], body });
    if (this.failWith) return status(this.failWith, 'the fake API server was told to fail');

    const ns = this.namespace;
    const apps = `/apis/apps/v1/namespaces/${ns}/deployments`;
    if (method === 'GET' && path === apps) {
      return {
        status: 200,
        body: {
          apiVersion: 'apps/v1',
          kind: 'DeploymentList',
          metadata: {},
          items: [...this.deployments.keys()].map((n) => this.deploymentObject(n)),
        },
      };
    }
    if (method === 'GET' && path === `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`) {
      return {
        status: 200,
        body: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscalerList',
          metadata: {},
          items: this.hpas.map((h) => ({
            metadata: { name: h.name, namespace: ns },
            spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: h.target }, minReplicas: h.min, maxReplicas: h.max },
            status: { currentReplicas: this.replicas(h.target) ?? 0, desiredReplicas: this.replicas(h.target) ?? 0 },
          })),
        },
      };
    }
    const match = new RegExp(`^${apps}/([a-z0-9-]+)(/scale)?$`).exec(path);
    const deployment = match ? this.deployments.get(match[1]!) : undefined;
    if (!match || !deployment) return status(404, `not found: ${path}`);
    const name = match[1]!;
    if (match[2] === '/scale') {
      if (method === 'GET') return { status: 200, body: this.scaleObject(name) };
      if (method === 'PUT') {
        const scale = body as { metadata?: { resourceVersion?: string }; spec?: { replicas?: number } };
        const rv = scale.metadata?.resourceVersion;
        if (rv !== undefined && rv !== String(deployment.resourceVersion)) {
          return status(409, 'Operation cannot be fulfilled: the object has been modified');
        }
        deployment.replicas = scale.spec?.replicas ?? deployment.replicas;
        deployment.ready = deployment.replicas;
        deployment.resourceVersion++;
        return { status: 200, body: this.scaleObject(name) };
      }
    }
    if (!match[2] && method === 'PATCH') {
      const patch = body as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
      Object.assign(deployment.templateAnnotations, patch.spec?.template?.metadata?.annotations ?? {});
      deployment.resourceVersion++;
      return { status: 200, body: this.deploymentObject(name) };
    }
    return status(405, `${method} ${path} is not served by the fake API`);
  }

  private scaleObject(name: string): unknown {
    const d = this.deployments.get(name)!;
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace: this.namespace, resourceVersion: String(d.resourceVersion) },
      spec: { replicas: d.replicas },
      status: { replicas: d.replicas },
    };
  }

  private deploymentObject(name: string): unknown {
    const d = this.deployments.get(name)!;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: this.namespace,
        resourceVersion: String(d.resourceVersion),
        labels: { 'app.kubernetes.io/part-of': 'lumina' },
      },
      spec: {
        replicas: d.replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        template: { metadata: { annotations: d.templateAnnotations }, spec: { containers: [{ name, image: `lumina/${name}` }] } },
      },
      status: {
        replicas: d.replicas,
        readyReplicas: d.ready ?? d.replicas,
        updatedReplicas: d.replicas,
        availableReplicas: d.ready ?? d.replicas,
      },
    };
  }
}

function status(code: number, message: string): { status: number; body: unknown } {
  return { status: code, body: { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, code } };
}
