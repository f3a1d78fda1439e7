#!/usr/bin/env node
// Makes sure an etcd server binary (v3.4 or newer) is available, because `npm start` and `npm test`
// run a real etcd. Runs before both (the `prestart`/`pretest` scripts) and in CI, so it is quiet
// when there is nothing to do.
//
//   DML_ETCD_BIN set       -> use that binary; only check that it exists and is executable.
//   etcd on PATH            -> exit 0 quietly (unless it is older than v3.4).
//   root + apt-get          -> apt-get update && apt-get install -y etcd-server (Debian/Ubuntu).
//   otherwise               -> print exactly what to install and exit 1.
//
// Plain Node ESM with no dependencies: it must run before `npm ci` has produced anything useful.
//
// About the Debian package: on a machine with systemd, etcd-server's postinst enables and starts an
// `etcd` service on the default ports (127.0.0.1:2379/2380). We leave it alone: DML never talks to
// it, because `dml up` and the test kit run their own etcd with their own data dir on other ports.
// In containers without an init system the postinst cannot start anything, so nothing is left running.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

const MIN_MAJOR = 3;
const MIN_MINOR = 4;

const INSTALL_HELP = [
  'Install etcd (v3.4 or newer), then run this again:',
  '  Debian/Ubuntu:  sudo apt-get install etcd-server',
  '  elsewhere:      put an etcd v3.4+ binary on PATH (https://github.com/etcd-io/etcd/releases),',
  '                  or set DML_ETCD_BIN=/path/to/etcd',
].join('\n');

function fail(message) {
  process.stderr.write(`ensure-etcd: ${message}\n${INSTALL_HELP}\n`);
  process.exit(1);
}

function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH, or undefined. */
function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Runs `etcd --version` and returns {ok, version, output}. `version` is [major, minor, patch]
 * when the output could be parsed ("etcd Version: 3.4.23").
 */
function probeVersion(bin) {
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
  if (res.error || res.status !== 0) {
    return { ok: false, output: res.error ? String(res.error.message) : output };
  }
  const match = /etcd Version:\s*v?(\d+)\.(\d+)\.(\d+)/i.exec(output);
  return { ok: true, output, version: match ? match.slice(1, 4).map(Number) : undefined };
}

function tooOld(version) {
  if (!version) return false; // unparseable: do not block on a format we do not know
  const [major, minor] = version;
  return major < MIN_MAJOR || (major === MIN_MAJOR && minor < MIN_MINOR);
}

/** Exits 1 with a clear message unless `bin` runs and is at least v3.4. */
function checkUsable(bin) {
  const probe = probeVersion(bin);
  if (!probe.ok) fail(`${bin} --version failed: ${probe.output || 'no output'}`);
  if (tooOld(probe.version)) {
    fail(`${bin} is etcd ${probe.version.join('.')}; DML needs v${MIN_MAJOR}.${MIN_MINOR} or newer.`);
  }
  return probe;
}

function run(cmd, args, env = process.env) {
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (res.error) fail(`could not run ${cmd}: ${res.error.message}`);
  if (res.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` exited with ${res.status ?? res.signal}.`);
}

// 1. An explicit binary wins; we only check that it exists (the user chose it on purpose).
const explicit = process.env.DML_ETCD_BIN;
if (explicit) {
  if (!isExecutableFile(explicit)) fail(`DML_ETCD_BIN=${explicit} is not an executable file.`);
  process.exit(0);
}

// 2. Already installed: quiet success.
const onPath = findOnPath('etcd');
if (onPath) {
  checkUsable(onPath);
  process.exit(0);
}

// 3. Install Debian's package when we are allowed to.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && findOnPath('apt-get')) {
  console.log('ensure-etcd: etcd not found on PATH; installing Debian package etcd-server (apt-get update && apt-get install -y etcd-server)');
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', 'etcd-server'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  const installed = findOnPath('etcd');
  if (!installed) fail('apt-get installed etcd-server but `etcd` is still not on PATH.');
  const probe = checkUsable(installed);
  console.log(`ensure-etcd: ${probe.output.split('\n')[0]} at ${installed}`);
  process.exit(0);
}

// 4. Nothing we can do ourselves.
fail(
  isRoot
    ? 'etcd is not on PATH and apt-get is not available to install it.'
    : 'etcd is not on PATH (and installing it needs root).',
);
