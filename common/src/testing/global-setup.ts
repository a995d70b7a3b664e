/**
 * Jest globalSetup: finds or starts the servers once for the whole run and hands their URLs
 * to the test workers through the environment. With several projects it runs once per project;
 * the first one starts what is missing and later ones find the URLs already set.
 */
import { ensureServers, type StartedServers } from './servers';
import { generateSigningKeyPair } from '../http/tokens';

declare global {
  var __luminaServers: StartedServers | undefined;
}

export default async function globalSetup(): Promise<void> {
  const { env } = process;
  // Services under test check every JSON answer against @lumina/contract (common/src/http/response-check.ts).
  env.LUMINA_CHECK_RESPONSES ??= '1';
  if (env.MYSQL_URL && env.NATS_URL && env.LUMINA_NATS_USERS && env.MONGO_URL && env.REDIS_URL && env.LUMINA_TEST_SIGNING_KEY) return;
  const servers = await ensureServers();
  globalThis.__luminaServers = servers;
  process.env.MYSQL_URL = servers.mysqlUrl;
  process.env.NATS_URL = servers.natsUrl;
  // Each service under test connects as its own NATS user (TestContext.serviceEnv).
  process.env.LUMINA_NATS_USERS = JSON.stringify(servers.natsPasswords);
  process.env.MONGO_URL = servers.mongoUrl;
  process.env.REDIS_URL = servers.redisUrl;
  // One key pair for the run: every test file signs users in with it.
  process.env.LUMINA_TEST_SIGNING_KEY ??= JSON.stringify(generateSigningKeyPair('test-key'));
  if (servers.started.length > 0) process.stderr.write(`\n[test servers] started: ${servers.started.join('; ')}\n`);
}
