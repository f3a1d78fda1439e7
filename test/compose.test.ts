// No Docker engine runs on the build machine, so docker-compose.yml is checked here by structure:
// the same cluster as `dml up` (DEFAULT_LAYOUT), every node configured, health-checked and wired to
// etcd. test/docker-e2e.test.ts runs the file for real where an engine exists.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_LAYOUT } from '../packages/cli/src/cluster-layout.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Role = 'scheduler' | 'trainer' | 'store' | 'gateway';
const ROLES: readonly Role[] = ['scheduler', 'trainer', 'store', 'gateway'];
const EXPECTED_COUNT: Record<Role, number> = {
  scheduler: DEFAULT_LAYOUT.schedulers,
  trainer: DEFAULT_LAYOUT.trainers,
  store: DEFAULT_LAYOUT.stores,
  gateway: DEFAULT_LAYOUT.gateways,
};

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  ports?: Array<string | number | { target?: number; published?: string | number }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// `merge: true`: the file shares settings between nodes with YAML merge keys (`<<: *dml-node`),
// which docker compose supports and YAML 1.2 parsers only do when asked.
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as ComposeFile;
const services = compose.services;

function commandOf(svc: ComposeService): string[] {
  const cmd = svc.command;
  if (cmd === undefined) return [];
  return typeof cmd === 'string' ? cmd.split(/\s+/).filter(Boolean) : cmd.map(String);
}

/** The role a service runs, from its command: `node services/<role>/dist/main.js`. */
function roleOf(svc: ComposeService): Role | undefined {
  const cmd = commandOf(svc);
  if (cmd.length !== 2 || cmd[0] !== 'node') return undefined;
  const match = /^services\/([a-z]+)\/dist\/main\.js$/.exec(cmd[1] ?? '');
  const role = match?.[1];
  return ROLES.find((r) => r === role);
}

function envOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function healthcheckOf(svc: ComposeService): string[] {
  const test = svc.healthcheck?.test;
  if (test === undefined || svc.healthcheck?.disable) return [];
  return typeof test === 'string' ? ['CMD-SHELL', test] : test.map(String);
}

/** Named-volume mounts as {source, target}; bind mounts (paths) are left out. */
function namedVolumesOf(svc: ComposeService): Array<{ source: string; target: string }> {
  const out: Array<{ source: string; target: string }> = [];
  for (const v of svc.volumes ?? []) {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      if (source && !source.startsWith('.') && !source.startsWith('/')) out.push({ source, target });
    } else if ((v.type ?? 'volume') === 'volume' && v.source && v.target) {
      out.push({ source: v.source, target: v.target });
    }
  }
  return out;
}

/** Port mappings as "published:target" strings. */
function portsOf(svc: ComposeService): string[] {
  return (svc.ports ?? []).map((p) =>
    typeof p === 'object' ? `${p.published ?? ''}:${p.target ?? ''}` : String(p),
  );
}

function portOf(hostPort: string | undefined): string | undefined {
  return hostPort?.slice(hostPort.lastIndexOf(':') + 1);
}

const dmlNodes = Object.entries(services).filter(([, svc]) => roleOf(svc) !== undefined);

describe('docker-compose.yml', () => {
  it('has etcd plus the DML services named after their role', () => {
    const expected = ['etcd'];
    for (const role of ROLES) {
      const n = EXPECTED_COUNT[role];
      if (role === 'gateway' && n === 1) expected.push('gateway');
      else for (let i = 1; i <= n; i++) expected.push(`${role}-${i}`);
    }
    expect(Object.keys(services).sort()).toEqual(expected.sort());
  });

  it("runs exactly as many nodes of each role as `dml up` (DEFAULT_LAYOUT)", () => {
    const counts: Record<Role, number> = { scheduler: 0, trainer: 0, store: 0, gateway: 0 };
    for (const [, svc] of dmlNodes) counts[roleOf(svc)!]++;
    expect(counts).toEqual(EXPECTED_COUNT);
    // Every service but etcd is a DML node with a recognised command.
    expect(dmlNodes.map(([name]) => name).sort()).toEqual(
      Object.keys(services).filter((n) => n !== 'etcd').sort(),
    );
  });

  it('runs etcd v3.5 listening on 0.0.0.0:2379 with a health check', () => {
    const etcd = services.etcd!;
    expect(etcd.image).toBe('quay.io/coreos/etcd:v3.5.17');
    expect(commandOf(etcd)).toContain('--listen-client-urls=http://0.0.0.0:2379');
    expect(healthcheckOf(etcd).join(' ')).toMatch(/etcdctl .*endpoint health/);
  });

  describe.each(dmlNodes)('%s', (name, svc) => {
    const role = roleOf(svc)!;
    const env = envOf(svc);

    it('runs the command of its role from the image built by the Dockerfile', () => {
      expect(name.startsWith(role)).toBe(true);
      expect(svc.build).toBeDefined();
      expect(existsSync(path.join(ROOT, 'services', role, 'package.json'))).toBe(true);
    });

    it('talks to the etcd service and waits for it to be healthy', () => {
      const etcd = new URL(env.DML_ETCD ?? '');
      expect(etcd.protocol).toBe('http:');
      expect(etcd.hostname).toBe('etcd');
      expect(etcd.port).toBe('2379');
      const deps = svc.depends_on;
      expect(deps && !Array.isArray(deps) ? deps.etcd?.condition : undefined).toBe('service_healthy');
    });

    it('is configured like a cluster node', () => {
      expect(env.DML_NODE_ID).toBe(name);
      expect(env.DML_LISTEN).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(env.DML_ADVERTISE).toBe(`${name}:${portOf(env.DML_LISTEN)}`);
      expect(env.DML_LEASE_TTL).toBe('3');
      expect(env.LOG_LEVEL).toBeTruthy();
    });

    it('has a health check', () => {
      const check = healthcheckOf(svc);
      expect(check[0]).toBe('CMD');
      if (role === 'gateway') {
        const http = portOf(env.DML_HTTP_LISTEN);
        expect(check.join(' ')).toContain(`http://127.0.0.1:${http}/healthz`);
      } else {
        expect(check).toEqual(['CMD', 'node', 'packages/cli/dist/main.js', 'health', `127.0.0.1:${portOf(env.DML_LISTEN)}`]);
      }
    });
  });

  it('gives every node a unique DML_NODE_ID', () => {
    const ids = dmlNodes.map(([, svc]) => envOf(svc).DML_NODE_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every store its own named volume as DML_DATA_DIR', () => {
    const stores = dmlNodes.filter(([, svc]) => roleOf(svc) === 'store');
    const sources = stores.map(([name, svc]) => {
      const dataDir = envOf(svc).DML_DATA_DIR;
      expect(dataDir, `${name}: DML_DATA_DIR`).toMatch(/^\//);
      const mount = namedVolumesOf(svc).find((v) => v.target === dataDir);
      expect(mount, `${name}: a named volume mounted on ${dataDir}`).toBeDefined();
      expect(Object.keys(compose.volumes ?? {})).toContain(mount!.source);
      return mount!.source;
    });
    expect(new Set(sources).size).toBe(stores.length);
  });

  it('gives trainers their slots', () => {
    for (const [, svc] of dmlNodes.filter(([, s]) => roleOf(s) === 'trainer')) {
      expect(Number(envOf(svc).DML_TRAINER_SLOTS)).toBeGreaterThan(0);
    }
  });

  it('publishes the gateway on 8080 (HTTP) and 8081 (gRPC) and requires an API token', () => {
    const gateway = services.gateway!;
    const env = envOf(gateway);
    expect(portOf(env.DML_HTTP_LISTEN)).toBe('8080');
    expect(portOf(env.DML_LISTEN)).toBe('8081');
    expect(env.DML_HTTP_LISTEN).toMatch(/^0\.0\.0\.0:/); // beyond loopback: hence the token
    expect(portsOf(gateway)).toEqual(expect.arrayContaining(['8080:8080', '8081:8081']));
    // `${VAR:?message}`: compose refuses to run at all when the token is unset or empty.
    expect(env.DML_API_TOKEN).toMatch(/^\$\{DML_API_TOKEN:\?.+\}$/);
  });
});
