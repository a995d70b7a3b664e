/**
 * A NATS server of the chaos run's own, on a fixed loopback port, so the fault injector can stop
 * and start it (a restart of the test kit's shared NATS would hit everyone else's tests) while
 * every service keeps the same URL and reconnects by itself (common's bus retries forever).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exactNamespace, natsAuthorization, type EventNamespace } from '@lumina/common';
import { binDir, freePort, generateNatsUsers, waitForPort, type NatsPasswords } from '@lumina/common/testing';

export class RestartableNats {
  private child?: ChildProcess;
  restarts = 0;

  private constructor(
    readonly url: string,
    readonly passwords: NatsPasswords,
    private readonly configFile: string,
    private readonly port: number,
  ) {}

  /** Writes a configuration with Lumina's users for `namespace` (and `admin`) and starts the server. */
  static async start(dataDir: string, namespace: EventNamespace): Promise<RestartableNats> {
    const dir = join(dataDir, 'nats');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const { users, passwords } = generateNatsUsers(exactNamespace(namespace));
    const configFile = join(dir, 'nats.conf');
    writeFileSync(
      configFile,
      [`listen: "127.0.0.1:${port}"`, `jetstream { store_dir: ${JSON.stringify(dir)} }`, natsAuthorization(users)].join('\n'),
      { mode: 0o600 },
    );
    const nats = new RestartableNats(`nats://127.0.0.1:${port}`, passwords, configFile, port);
    await nats.launch();
    return nats;
  }

  private async launch(): Promise<void> {
    this.child = spawn(join(binDir(), 'nats-server'), ['-c', this.configFile], { stdio: 'ignore' });
    await waitForPort(this.port, '127.0.0.1', 60_000);
  }

  /** Stops the server (SIGTERM: JetStream flushes its files) and starts it again on the same port. */
  async restart(downtimeMs = 0): Promise<void> {
    await this.stop();
    if (downtimeMs > 0) await new Promise((r) => setTimeout(r, downtimeMs));
    await this.launch();
    this.restarts += 1;
  }

  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    });
  }
}
