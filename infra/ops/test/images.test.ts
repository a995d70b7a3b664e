// Skaffold builds every image the manifests use, from the one Dockerfile, with the stage it names
// and (a Node image) its workspace as a build argument; the images are multi-stage, current Node
// LTS, non-root, production deps only.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OVERLAYS, REPO, renderAll, workloads, type K8sObject, type Overlay } from './support/render';

interface Artifact {
  image: string;
  context: string;
  docker: { dockerfile: string; target: string; buildArgs?: Record<string, string> };
  sync?: { manual: Array<{ src: string; dest: string }> };
}
interface Build {
  artifacts: Artifact[];
}
const skaffold = parse(readFileSync(join(REPO, 'skaffold.yaml'), 'utf8')) as {
  apiVersion: string;
  build: Build;
  manifests: { kustomize: { paths: string[] } };
  portForward: Array<{ resourceType: string; resourceName: string; port: number }>;
  profiles: Array<{ name: string; build?: Build; manifests?: { kustomize: { paths: string[] } } }>;
};
const builds = () => [
  { name: 'default', build: skaffold.build },
  ...skaffold.profiles.filter((p) => p.build).map((p) => ({ name: p.name, build: p.build! })),
];

let rendered: Record<Overlay, K8sObject[]>;
let cleanup: () => void;
beforeAll(() => ({ rendered, cleanup } = renderAll()));
afterAll(() => cleanup?.());

/** The stages of a Dockerfile: name → its lines. */
function stages(dockerfile: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of readFileSync(join(REPO, dockerfile), 'utf8').split('\n')) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [line];
      out.set(from[1] ?? `#${out.size}`, current);
    } else {
      current.push(line);
    }
  }
  return out;
}

test('skaffold.yaml is a v4beta config with dev and prod profiles and kustomize manifests', () => {
  expect(skaffold.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
  expect(skaffold.profiles.map((p) => p.name).sort()).toEqual(['dev', 'prod']);
  for (const path of [...skaffold.manifests.kustomize.paths, ...skaffold.profiles.flatMap((p) => p.manifests?.kustomize.paths ?? [])]) {
    expect(existsSync(join(REPO, path, 'kustomization.yaml'))).toBe(true);
  }
});

test('every Skaffold artifact has its Dockerfile, and the stage it builds exists', () => {
  for (const { name, build } of builds()) {
    for (const a of build.artifacts) {
      expect({ profile: name, image: a.image, dockerfile: existsSync(join(REPO, a.context, a.docker.dockerfile)) }).toEqual({
        profile: name,
        image: a.image,
        dockerfile: true,
      });
      expect({ image: a.image, stage: stages(a.docker.dockerfile).has(a.docker.target) }).toEqual({ image: a.image, stage: true });
    }
  }
});

test.each(OVERLAYS)('every image %s uses is built by Skaffold (or is a pinned upstream image)', (overlay) => {
  const built = new Set(skaffold.build.artifacts.map((a) => a.image));
  const images = workloads(rendered[overlay]).flatMap((w) => w.spec.template.spec.containers.map((c: { image: string }) => c.image));
  for (const image of images) {
    if (image.startsWith('lumina/')) expect(built).toContain(image);
    else expect(image).toMatch(/^(mysql:8\.4|mongo:7|redis:7\.4-alpine|nats:\d+\.\d+\.\d+-alpine)$/);
  }
  // …and nothing is built that no manifest runs.
  for (const image of built) expect(images).toContain(image);
});

test('each profile builds the same images; dev syncs sources into the dev stage', () => {
  const images = (b: Build) => b.artifacts.map((a) => a.image).sort();
  for (const { build } of builds()) expect(images(build)).toEqual(images(skaffold.build));
  const dev = skaffold.profiles.find((p) => p.name === 'dev')!.build!;
  for (const svc of ['auth', 'posts', 'media', 'search', 'timeline', 'client']) {
    const a = dev.artifacts.find((x) => x.image === `lumina/${svc}`)!;
    expect(a.docker.target).toBe(svc === 'client' ? 'client-dev' : 'dev');
    expect(a.sync?.manual).toContainEqual({ src: `${svc}/src/**`, dest: '/app' });
  }
});

test('port-forwards name Services the dev overlay has', () => {
  const services = rendered['overlays/dev'].filter((o) => o.kind === 'Service');
  for (const pf of skaffold.portForward) {
    const svc = services.find((s) => s.metadata.name === pf.resourceName);
    expect(svc?.spec.ports.map((p: { port: number }) => p.port)).toContain(pf.port);
  }
});

const NODE_IMAGES = { auth: 'auth', posts: 'posts', media: 'media', search: 'search', timeline: 'timeline', ops: 'infra/ops' };

test('every image builds from the one Dockerfile; a Node image names its workspace as a build argument', () => {
  for (const { name, build } of builds()) {
    for (const a of build.artifacts)
      expect({ profile: name, image: a.image, dockerfile: a.docker.dockerfile }).toMatchObject({ dockerfile: 'Dockerfile' });
    for (const [image, workspace] of Object.entries(NODE_IMAGES)) {
      const a = build.artifacts.find((x) => x.image === `lumina/${image}`)!;
      expect({ profile: name, image, workspace: a.docker.buildArgs?.WORKSPACE }).toEqual({ profile: name, image, workspace });
      expect(existsSync(join(REPO, workspace, 'package.json'))).toBe(true);
      // sharp: glibc prebuilds
      if (image === 'media') expect(a.docker.buildArgs?.NODE_IMAGE).toBe('node:24-bookworm-slim');
    }
  }
});

describe.each(['runtime', 'ops'])("the Dockerfile's %s target", (target) => {
  test('multi-stage, Node LTS, production dependencies only, non-root, the port the Deployment uses', () => {
    const s = stages('Dockerfile');
    expect(s.size).toBeGreaterThanOrEqual(4);
    const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^ARG NODE_IMAGE=node:(22|24)-(alpine|bookworm-slim)$/m);
    expect(text).toContain('npm install --no-audit --no-fund --omit=dev -w contract -w common -w ${WORKSPACE}');
    expect(text).toContain('COPY --from=build /app/contract/dist contract/dist');
    expect(text).toContain('npx tsc -b ${WORKSPACE}');
    // The final stage and the one it is built from (node-app), up to the base image.
    const chain: string[] = [];
    for (let stage = target; s.has(stage);) {
      const lines = s.get(stage)!;
      chain.push(...lines);
      stage = /^FROM\s+(\S+)/i.exec(lines[0]!)![1]!;
    }
    const runtime = chain.join('\n');
    expect(runtime).not.toMatch(/COPY --from=deps/); // dev dependencies stay behind
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
  });
});

test('the client image is static files on an unprivileged NGINX on the port its Deployment uses', () => {
  const s = stages('Dockerfile');
  const runtime = s.get('client')!.join('\n');
  expect(runtime).toMatch(/^FROM \$\{NGINX_IMAGE\} AS client/);
  expect(readFileSync(join(REPO, 'Dockerfile'), 'utf8')).toMatch(/^ARG NGINX_IMAGE=nginxinc\/nginx-unprivileged:/m);
  expect(runtime).toMatch(/^USER 101:101$/m);
  expect(runtime).toMatch(/listen 8080;/);
  const client = rendered.base.find((o) => o.kind === 'Deployment' && o.metadata.name === 'client')!;
  expect(client.spec.template.spec.containers[0].ports[0].containerPort).toBe(8080);
  expect(s.has('client-dev')).toBe(true);
});

test('.dockerignore keeps node_modules, build output and secrets out of the build context', () => {
  const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
  expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', 'infra/k8s/secrets', '*.pem', '.git']));
});
