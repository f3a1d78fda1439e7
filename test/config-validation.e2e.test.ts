// Process-level config validation: every role, started as a real process with bad configuration,
// exits with code 2 within seconds, names every offending variable/flag on stderr, and starts
// nothing (no ready line, no etcd connection, no data directory). Config is validated before any
// connection, so these tests need no etcd: DML_ETCD points at a TCP listener that counts
// connection attempts and must see none.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROLES = ['scheduler', 'trainer', 'store', 'gateway'] as const;
type Role = (typeof ROLES)[number];

/** A process that has not exited by then is a failure (it started instead of refusing). */
const EXIT_TIMEOUT_MS = 10_000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function mainOf(role: Role): string {
  return path.join(ROOT, 'services', role, 'dist', 'main.js');
}

/** The inherited environment without any DML setting, so only the test's values count. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DML_') && k !== 'LOG_LEVEL') env[k] = v;
  }
  return env;
}

function run(role: Role, env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainOf(role), ...args], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const guard = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, EXIT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

let fakeEtcd: Server;
let etcdConnections = 0;
let etcdUrl: string;
let scratch: string;

beforeAll(async () => {
  for (const role of ROLES) {
    if (!existsSync(mainOf(role))) throw new Error(`${mainOf(role)} is missing: run \`npx tsc -b\` first`);
  }
  scratch = mkdtempSync(path.join(tmpdir(), 'dml-config-validation-'));
  fakeEtcd = createServer((socket) => {
    etcdConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => fakeEtcd.listen(0, '127.0.0.1', resolve));
  const addr = fakeEtcd.address();
  if (addr === null || typeof addr === 'string') throw new Error('fake etcd has no TCP address');
  etcdUrl = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (fakeEtcd ? fakeEtcd.close(() => resolve()) : resolve()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Exit 2, nothing on stdout (no log lines, so no ready line), and stderr mentions each of `names`. */
function expectRefused(role: Role, out: Outcome, names: string[]): void {
  expect(out.timedOut, `dml-${role} was still running after ${EXIT_TIMEOUT_MS} ms`).toBe(false);
  expect(out.code, `dml-${role} stderr:\n${out.stderr}`).toBe(2);
  expect(out.stderr).toContain(`dml-${role}: invalid configuration`);
  for (const name of names) expect(out.stderr, `stderr should name ${name}`).toContain(name);
  expect(out.stdout).toBe('');
  expect(out.stdout).not.toMatch(/"msg":"ready"/);
}

const BAD_INPUTS: ReadonlyArray<{ what: string; env: Record<string, string>; args: string[]; names: string[] }> = [
  { what: 'DML_LEASE_TTL=abc', env: { DML_LEASE_TTL: 'abc' }, args: [], names: ['DML_LEASE_TTL', '--lease-ttl', '"abc"'] },
  { what: 'DML_LEASE_TTL=0', env: { DML_LEASE_TTL: '0' }, args: [], names: ['DML_LEASE_TTL', 'between 1 and 60'] },
  { what: 'DML_LISTEN=nohost', env: { DML_LISTEN: 'nohost' }, args: [], names: ['DML_LISTEN', '--listen', 'host:port'] },
  { what: 'DML_NODE_ID="bad id!"', env: { DML_NODE_ID: 'bad id!' }, args: [], names: ['DML_NODE_ID', '--node-id', '"bad id!"'] },
  { what: 'DML_ETCD=not-a-url', env: { DML_ETCD: 'not-a-url' }, args: [], names: ['DML_ETCD', '--etcd'] },
  { what: 'an unknown flag --nope', env: {}, args: ['--nope'], names: ['unknown flag --nope'] },
  { what: 'a flag without its value', env: {}, args: ['--lease-ttl'], names: ['--lease-ttl needs a value'] },
  { what: 'a stray argument', env: {}, args: ['serve'], names: ['unexpected argument "serve"'] },
  { what: 'a bad flag value (--listen=1.2.3.4:70000)', env: {}, args: ['--listen=1.2.3.4:70000'], names: ['DML_LISTEN', '--listen', 'port'] },
];

describe.each(ROLES)('dml-%s with bad configuration', (role) => {
  // A data dir that must not appear: a refused store creates nothing.
  const dataDir = () => path.join(scratch, `${role}-data`);

  it.each(BAD_INPUTS)('exits 2 on $what, naming it', async ({ env, args, names }) => {
    const before = etcdConnections;
    const out = await run(role, { DML_ETCD: etcdUrl, DML_DATA_DIR: dataDir(), ...env }, args);
    expectRefused(role, out, names);
    expect(etcdConnections - before, 'a refused node must not contact etcd').toBe(0);
    expect(existsSync(dataDir())).toBe(false);
  });

  it('lists every problem at once', async () => {
    const out = await run(
      role,
      { DML_ETCD: etcdUrl, DML_DATA_DIR: dataDir(), DML_LEASE_TTL: '61', DML_LISTEN: 'nohost', DML_NODE_ID: 'bad id!', LOG_LEVEL: 'loud' },
      ['--nope'],
    );
    expectRefused(role, out, ['DML_LEASE_TTL', 'DML_LISTEN', 'DML_NODE_ID', 'LOG_LEVEL', 'unknown flag --nope']);
    // One "  - problem" line each.
    expect(out.stderr.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(5);
  });
});

describe('dml-gateway beyond loopback', () => {
  it('refuses DML_HTTP_LISTEN=0.0.0.0:0 without DML_API_TOKEN', async () => {
    const before = etcdConnections;
    const out = await run('gateway', { DML_ETCD: etcdUrl, DML_HTTP_LISTEN: '0.0.0.0:0' });
    expectRefused('gateway', out, ['DML_API_TOKEN', '0.0.0.0:0']);
    expect(etcdConnections - before).toBe(0);
  });

  it('refuses a gRPC listen address beyond loopback without a token', async () => {
    const out = await run('gateway', { DML_ETCD: etcdUrl }, ['--listen', '0.0.0.0:0']);
    expectRefused('gateway', out, ['DML_API_TOKEN']);
  });

  it('refuses a token shorter than 8 characters', async () => {
    const out = await run('gateway', { DML_ETCD: etcdUrl, DML_HTTP_LISTEN: '0.0.0.0:0', DML_API_TOKEN: 'short' });
    expectRefused('gateway', out, ['DML_API_TOKEN', 'at least 8 characters']);
  });
});
