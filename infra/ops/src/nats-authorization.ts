/**
 * The cluster's NATS users, as infra/k8s/base/nats/nats.yaml's nats.conf holds them: rendered from
 * common's permission tables for the default namespace, each password read by nats-server from
 * an environment variable the StatefulSet fills from that user's Secret (nats-login-<user>).
 * `npm run nats-authorization` rewrites the block; a test checks it is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NAMESPACE, exactNamespace, luminaNatsUsers, natsAuthorization } from '@lumina/common';

export const NATS_MANIFEST = join(__dirname, '..', '..', 'k8s', 'base', 'nats', 'nats.yaml');
const BEGIN = '# BEGIN authorization';
const END = '# END authorization';

/** The environment variable holding a user's password in the NATS pods. */
export const passwordVariable = (user: string): string => `${user.toUpperCase()}_NATS_PASSWORD`;

export function clusterNatsUsers() {
  return luminaNatsUsers(exactNamespace(DEFAULT_NAMESPACE), (user) => ({ env: passwordVariable(user) }));
}

/** The block as it stands in nats.conf (indented for the ConfigMap), markers included. */
export function clusterAuthorizationBlock(indent = '    '): string {
  const body = natsAuthorization(clusterNatsUsers()).trimEnd().split('\n');
  return [`${BEGIN}: written by \`npm run nats-authorization -w @lumina/ops\`; do not edit`, ...body, END]
    .map((l) => `${indent}${l}`)
    .join('\n');
}

/** The block currently in a manifest's text, or undefined. */
export function authorizationBlockIn(manifest: string): string | undefined {
  const match = new RegExp(`^[ ]*${BEGIN}[\\s\\S]*?${END}$`, 'm').exec(manifest);
  return match?.[0];
}

if (require.main === module) {
  const manifest = readFileSync(NATS_MANIFEST, 'utf8');
  const current = authorizationBlockIn(manifest);
  if (!current) throw new Error(`${NATS_MANIFEST} has no "${BEGIN}" … "${END}" block`);
  writeFileSync(NATS_MANIFEST, manifest.replace(current, clusterAuthorizationBlock()));
  process.stdout.write(`rewrote the authorization block of ${NATS_MANIFEST}\n`);
}
