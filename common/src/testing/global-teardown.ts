export default async function globalTeardown(): Promise<void> {
  await globalThis.__luminaServers?.stop();
  globalThis.__luminaServers = undefined;
}
