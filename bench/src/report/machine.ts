/** What the numbers were measured on: the machine, how busy it was, and every server's version. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { BenchSystem } from '../system/bench-system';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started and ended: above the CPU count, others were busy too. */
  loadAverage: { start: number; end?: number };
  commit: string;
  versions: Record<string, string>;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: join(__dirname, '..', '..', '..'), encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    loadAverage: { start: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' (with uncommitted changes in the tree)' : ''}`,
    versions: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips, autocannon: autocannonVersion() },
  };
}

function autocannonVersion(): string {
  try {
    const file = join(dirname(require.resolve('autocannon')), 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Asks each server of the running system for its version. */
export async function serverVersions(system: BenchSystem): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  versions['nats-server'] = system.bus.nc.info?.version ?? 'unknown';
  try {
    const info = await system.mongo.db('admin').command({ buildInfo: 1 });
    versions.ferretdb = String(info.ferretdbVersion ?? info.ferretdb?.version ?? 'unknown');
    versions['ferretdb backend'] = system.mongoBackend;
    versions['ferretdb reports MongoDB'] = String(info.version ?? 'unknown');
  } catch {
    versions.ferretdb = 'unknown';
  }
  try {
    const [rows] = await system.mysql('auth').query('SELECT VERSION() AS v');
    versions.mariadb = String((rows as Array<{ v: string }>)[0]?.v ?? 'unknown');
  } catch {
    versions.mariadb = 'unknown';
  }
  if (system.mongoBackend === 'postgresql') {
    try {
      versions.postgresql = execFileSync(
        'psql',
        [process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres', '-Atc', 'SHOW server_version'],
        { encoding: 'utf8' },
      ).trim();
    } catch {
      versions.postgresql = 'unknown';
    }
  }
  return versions;
}

export function endLoad(info: MachineInfo): void {
  info.loadAverage.end = Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
