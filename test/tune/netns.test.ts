// A shared study across two "hosts": grove tune in one network namespace and grove worker in
// another (each with its own hostname, in its own UTS namespace) reach a PostgreSQL server that
// this file starts on a bridge address in the root namespace, as processes on separate machines
// reach a database server. Linux only, as root (ip netns); skipped with the reason elsewhere. Everything it creates (namespaces, bridge,
// veth pairs, the server, temp dirs) carries a random suffix and is removed in after(), or on
// SIGINT / SIGTERM, with a timeout on every command.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { accessSync, appendFileSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const NAME = 'grove tune and grove worker in two network namespaces share one study through PostgreSQL on a veth address';
const TRIALS = 16;
const COMMAND_TIMEOUT_MS = 30_000;
const STUDY_TIMEOUT_MS = 180_000;

// ---- the environment ---------------------------------------------------------------------

function sh(cmd: string, args: string[], options: { cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout ?? COMMAND_TIMEOUT_MS, cwd: options.cwd });
}

function failed(r: SpawnSyncReturns<string>): string | null {
  if (r.error) return r.error.message;
  if (r.status !== 0) return (r.stderr || r.stdout || `exit ${r.status ?? r.signal}`).trim();
  return null;
}

/** Runs a command that must succeed; throws with its output otherwise. */
function must(cmd: string, args: string[], options: { cwd?: string; timeout?: number } = {}): string {
  const r = sh(cmd, args, options);
  const problem = failed(r);
  if (problem !== null) throw new Error(`${cmd} ${args.join(' ')}: ${problem}`);
  return r.stdout;
}

/** initdb and pg_ctl from PATH, else the newest /usr/lib/postgresql/<version>/bin. */
function postgresBin(): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const dir of [...dirs, ...versions.map((v) => `/usr/lib/postgresql/${v}/bin`)]) {
    const ok = ['initdb', 'pg_ctl'].every((name) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (ok) return dir;
  }
  return null;
}

/** The unprivileged account that owns the server (initdb refuses root). */
function serverAccount(): { name: string; uid: number; gid: number } | null {
  for (const name of ['postgres', 'nobody']) {
    const uid = sh('id', ['-u', name]);
    const gid = sh('id', ['-g', name]);
    if (failed(uid) === null && failed(gid) === null && Number(uid.stdout) !== 0) return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  return null;
}

/** Why this machine cannot run the test, or null. Only environment reasons. */
function environmentProblem(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns add, veth and bridge devices)';
  if (failed(sh('ip', ['-V'])) !== null) return 'the ip command (iproute2) is not installed';
  if (failed(sh('runuser', ['--help'])) !== null) return 'runuser is not installed (initdb must run as an unprivileged user)';
  if (failed(sh('unshare', ['--help'])) !== null || failed(sh('hostname', [])) !== null) return 'unshare or hostname (util-linux) is not installed';
  if (postgresBin() === null) return 'PostgreSQL server binaries (initdb, pg_ctl) are not on PATH or in /usr/lib/postgresql/<version>/bin';
  if (serverAccount() === null) return 'no unprivileged account (postgres or nobody) to own the PostgreSQL data directory';
  // a throwaway namespace with a veth pair into it and a bridge: what the test builds
  const s = randomBytes(3).toString('hex');
  const ns = `grove-probe-${s}`;
  try {
    const problem =
      failed(sh('ip', ['netns', 'add', ns])) ??
      failed(sh('ip', ['link', 'add', `gpv${s}`, 'type', 'veth', 'peer', 'name', `gpw${s}`, 'netns', ns])) ??
      failed(sh('ip', ['link', 'add', `gpb${s}`, 'type', 'bridge']));
    return problem === null ? null : `cannot create network namespaces, veth pairs or bridges here: ${problem}`;
  } finally {
    sh('ip', ['link', 'del', `gpb${s}`]);
    sh('ip', ['link', 'del', `gpv${s}`]);
    sh('ip', ['netns', 'del', ns]);
  }
}

// ---- cleanup: synchronous, idempotent, each step bounded by a timeout ----------------------

const undo: { what: string; fn: () => void }[] = [];
const children = new Set<ChildProcess>();

function cleanup(): string[] {
  const errors: string[] = [];
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  while (undo.length > 0) {
    const step = undo.pop()!;
    try {
      step.fn();
    } catch (err) {
      errors.push(`${step.what}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/** Ctrl-C or a runner's SIGTERM still removes what the test made. */
function cleanupOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(code);
    });
  }
}

// ---- the network ---------------------------------------------------------------------------

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Every IPv4 prefix this machine has an address or a route for. */
function usedPrefixes(): { base: number; bits: number }[] {
  const text = must('ip', ['-4', '-o', 'addr', 'show']) + must('ip', ['-4', 'route', 'show', 'table', 'all']);
  return [...text.matchAll(/(?<![\d.])(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)].map((m) => ({ base: ipv4ToInt(m[1]), bits: m[2] === undefined ? 32 : Number(m[2]) }));
}

/** A random 10.x.y.0/24 that no address or route here overlaps. */
function freeSubnet(): string {
  const used = usedPrefixes();
  for (let tries = 0; tries < 50; tries++) {
    const prefix = `10.${randomInt(64, 255)}.${randomInt(0, 255)}`;
    const ours = ipv4ToInt(`${prefix}.0`);
    const clash = used.some(({ base, bits }) => {
      const shortest = Math.min(bits, 24);
      const mask = shortest === 0 ? 0 : (0xffffffff << (32 - shortest)) >>> 0;
      return (base & mask) >>> 0 === (ours & mask) >>> 0;
    });
    if (!clash) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 found for the test network');
}

interface Network {
  subnet: string;
  serverIp: string;
  namespaces: { a: string; b: string };
  clientIps: { a: string; b: string };
}

/**
 * A bridge in the root namespace holds the server's address (.1); each namespace gets one end
 * of a veth pair (.2, .3), the other end on the bridge, and its loopback up.
 */
function buildNetwork(suffix: string): Network {
  const subnet = freeSubnet();
  const bridge = `gbr${suffix}`;
  must('ip', ['link', 'add', bridge, 'type', 'bridge']);
  undo.push({ what: `delete bridge ${bridge}`, fn: () => deleteLink(bridge) });
  must('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  must('ip', ['link', 'set', bridge, 'up']);
  const make = (side: 'a' | 'b', host: number) => {
    const ns = `grove-${side}-${suffix}`;
    const outer = `gv${side}${suffix}`;
    const inner = `gp${side}${suffix}`;
    must('ip', ['netns', 'add', ns]);
    undo.push({ what: `delete namespace ${ns}`, fn: () => must('ip', ['netns', 'del', ns], { timeout: 10_000 }) });
    must('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', ns]);
    // deleting the namespace destroys the pair; this catches a half-built one
    undo.push({ what: `delete veth ${outer}`, fn: () => deleteLink(outer) });
    must('ip', ['link', 'set', outer, 'master', bridge]);
    must('ip', ['link', 'set', outer, 'up']);
    must('ip', ['-n', ns, 'addr', 'add', `${subnet}.${host}/24`, 'dev', inner]);
    must('ip', ['-n', ns, 'link', 'set', inner, 'up']);
    must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  };
  const a = make('a', 2);
  const b = make('b', 3);
  return { subnet, serverIp: `${subnet}.1`, namespaces: { a, b }, clientIps: { a: `${subnet}.2`, b: `${subnet}.3` } };
}

function deleteLink(name: string): void {
  const r = sh('ip', ['link', 'del', name], { timeout: 10_000 });
  const problem = failed(r);
  if (problem !== null && !/cannot find device|does not exist/i.test(problem)) throw new Error(problem);
}

/** The inode of a named namespace, as /proc/<pid>/ns/net shows it: net:[inode]. */
function namespaceInode(ns: string): number {
  return statSync(`/run/netns/${ns}`).ino;
}

function processNamespace(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

// ---- the PostgreSQL server -------------------------------------------------------------------

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Server {
  url: string;
  log: string;
}

/** initdb as the unprivileged account, trust for the test subnet, listening on the bridge address only. */
async function startPostgres(base: string, net: Network): Promise<Server> {
  const bin = postgresBin()!;
  const account = serverAccount()!;
  const as = (tool: string, args: string[], timeout = COMMAND_TIMEOUT_MS) => must('runuser', ['-u', account.name, '--', join(bin, tool), ...args], { cwd: base, timeout });
  const data = join(base, 'data');
  const sockets = join(base, 'sockets');
  const log = join(base, 'server.log');
  mkdirSync(sockets);
  chownSync(sockets, account.uid, account.gid);
  as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], 120_000);
  appendFileSync(join(data, 'pg_hba.conf'), `\nhost all all ${net.subnet}.0/24 trust\n`);
  const port = await freePort(net.serverIp);
  const options = [`-c listen_addresses=${net.serverIp}`, `-p ${port}`, `-k ${sockets}`, '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c log_connections=on'].join(' ');
  undo.push({ what: 'stop the PostgreSQL server', fn: () => stopPostgres(bin, account.name, data, base) });
  as('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start'], 90_000);
  return { url: `postgres://postgres@${net.serverIp}:${port}/postgres`, log };
}

function stopPostgres(bin: string, user: string, data: string, base: string): void {
  const pidFile = join(data, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const stop = failed(sh('runuser', ['-u', user, '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop'], { cwd: base, timeout: 30_000 }));
  if (stop === null) return;
  // pg_ctl could not stop it: kill our postmaster by its pid, if that pid is still our server
  let ours = false;
  try {
    ours = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(data);
  } catch {
    return; // already gone
  }
  if (ours) process.kill(pid, 'SIGKILL');
  throw new Error(`pg_ctl stop failed (${stop}); killed postmaster ${pid}`);
}

// ---- grove processes --------------------------------------------------------------------------

interface Grove {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** resolves when stderr matches, rejects when the process exits first or after `ms` */
  waitForStderr: (pattern: RegExp, ms: number) => Promise<void>;
}

/**
 * grove in namespace `ns` with hostname `host`. ip netns exec, unshare and sh all exec, so the
 * child's pid is grove's.
 */
function groveIn(ns: string, host: string, args: string[], cwd: string): Grove {
  const command = ['netns', 'exec', ns, 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', host, process.execPath, grove, ...args];
  const child = spawn('ip', command, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GROVE_TRACKING_URI: '' } });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), STUDY_TIMEOUT_MS);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(code);
    }),
  );
  const waitForStderr = (pattern: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(err)) return;
        done();
        resolve();
      };
      const onExit = () => {
        done();
        reject(new Error(`grove ${args[0]} in ${ns} exited before printing ${pattern}:\n${err}`));
      };
      const giveUp = setTimeout(() => {
        done();
        reject(new Error(`grove ${args[0]} in ${ns} did not print ${pattern} within ${ms} ms:\n${err}`));
      }, ms);
      const done = () => {
        clearTimeout(giveUp);
        child.stderr!.off('data', check);
        child.off('close', onExit);
      };
      child.stderr!.on('data', check);
      child.on('close', onExit);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitForStderr };
}

// ---- the test -----------------------------------------------------------------------------------

const problem = environmentProblem();
if (problem !== null) {
  process.stderr.write(`# skipping ${NAME}: ${problem}\n`);
  test(NAME, { skip: problem }, () => undefined);
} else {
  cleanupOnSignals();
  after(() => {
    const errors = cleanup();
    assert.deepEqual(errors, [], 'cleanup');
  });

  test(NAME, { timeout: 300_000 }, async (ctx) => {
    const suffix = randomBytes(3).toString('hex');
    const base = mkdtempSync(join(tmpdir(), 'grove-netns-'));
    undo.push({ what: `remove ${base}`, fn: () => rmSync(base, { recursive: true, force: true }) });
    const account = serverAccount()!;
    chownSync(base, account.uid, account.gid);
    const work = join(base, 'work');
    mkdirSync(work);

    const net = buildNetwork(suffix);
    const server = await startPostgres(base, net);
    const uri = ['--tracking-uri', server.url];
    const study = `netns-${suffix}`;
    // trials of about half a second on one core, so both processes get a share of the study
    writeFileSync(join(work, 'space.json'), JSON.stringify({ n_estimators: { int: [120, 140] }, max_depth: { choice: [null] }, min_samples_leaf: { int: [1, 2] }, max_features: { choice: ['all'] } }));

    // The worker starts first and waits for the study, as a worker on another machine would.
    // (A worker whose poll lands between createStudy's createRun and its logBatch of the
    // study_config param fails with "is not a grove study": a bug in src/tune/study-run.ts, not here.)
    const worker = groveIn(net.namespaces.b, net.namespaces.b, ['worker', '--study', study, ...uri, '--cpus', '1', '--wait', '120', '--json'], work);
    await worker.waitForStderr(/waiting up to .* for study/, 60_000);
    const tune = groveIn(
      net.namespaces.a,
      net.namespaces.a,
      ['tune', 'friedman1:3000:1', '--space', join(work, 'space.json'), '--study', study, '--trials', String(TRIALS), ...uri, '--cpus', '1', '--no-promote', '--json'],
      work,
    );
    await tune.waitForStderr(/study .* worker /, 60_000);
    // each process runs inside its namespace, not in ours
    assert.equal(processNamespace(worker.child.pid!), `net:[${namespaceInode(net.namespaces.b)}]`);
    assert.equal(processNamespace(tune.child.pid!), `net:[${namespaceInode(net.namespaces.a)}]`);
    assert.notEqual(processNamespace(tune.child.pid!), processNamespace(process.pid));

    const [tuneCode, workerCode] = await Promise.all([tune.exited, worker.exited]);
    assert.equal(tuneCode, 0, `grove tune in ${net.namespaces.a}:\n${tune.stderr()}`);
    assert.equal(workerCode, 0, `grove worker in ${net.namespaces.b}:\n${worker.stderr()}`);
    const a = JSON.parse(tune.stdout());
    const b = JSON.parse(worker.stdout());
    assert.equal(b.study_id, a.study_id);
    // worker ids are host:pid:random: our two processes, each under its own hostname
    assert.ok(a.worker_id.startsWith(`${net.namespaces.a}:${tune.child.pid}:`), a.worker_id);
    assert.ok(b.worker_id.startsWith(`${net.namespaces.b}:${worker.child.pid}:`), b.worker_id);
    assert.equal([a.refit_here, b.refit_here].filter((x) => x === true).length, 1, `refit_here: tune ${a.refit_here}, worker ${b.refit_here}`);
    assert.ok(a.trials_finished_here >= 1 && b.trials_finished_here >= 1, `trials finished here: tune ${a.trials_finished_here}, worker ${b.trials_finished_here}`);
    assert.equal(a.trials_finished_here + b.trials_finished_here, TRIALS);
    ctx.diagnostic(
      `${net.subnet}.0/24: tune in ${net.namespaces.a} finished ${a.trials_finished_here} trials, worker in ${net.namespaces.b} ${b.trials_finished_here}; refit by ${a.refit_here ? 'tune' : 'worker'}`,
    );

    // the store, read from the root namespace
    const json = (args: string[]) => {
      const r = spawnSync(process.execPath, [grove, ...args, ...uri, '--json'], { encoding: 'utf8', cwd: work, timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const trials = (json(['runs', 'list', '--filter', "tags.`grove.type` = 'trial'", '--limit', '100000']) as Record<string, any>[]).filter((t) => t.parent_run_id === a.study_id);
    assert.deepEqual(
      trials.filter((t) => t.status !== 'FINISHED').map((t) => `${t.tags['grove.trial']}: ${t.status}`),
      [],
      'every trial run finished',
    );
    assert.equal(trials.length, TRIALS);
    const numbers = trials.map((t) => Number(t.tags['grove.trial'])).sort((x, y) => x - y);
    assert.deepEqual(numbers, [...Array(TRIALS).keys()], 'trial numbers 0..15, each once');
    assert.deepEqual(new Set(trials.map((t) => t.tags['grove.worker_id'])), new Set([a.worker_id, b.worker_id]), 'both hosts ran trials');
    for (const who of [a, b]) {
      assert.equal(trials.filter((t) => t.tags['grove.worker_id'] === who.worker_id).length, who.trials_finished_here, `trials tagged ${who.worker_id}`);
    }

    const status = json(['study', 'status', study]);
    assert.equal(status.study_id, a.study_id);
    assert.equal(status.state, 'finished');
    assert.equal(status.trials.finished, TRIALS);
    assert.equal(status.trials.running, 0);
    assert.equal(status.refit_worker, a.refit_here ? a.worker_id : b.worker_id);
    assert.deepEqual(
      (status.workers as Record<string, any>[]).map((w) => [w.worker_id, w.host, w.state, w.trials_done]).sort(),
      [
        [a.worker_id, net.namespaces.a, 'exited', a.trials_finished_here],
        [b.worker_id, net.namespaces.b, 'exited', b.trials_finished_here],
      ].sort(),
    );

    // the server saw both namespaces as separate clients on the test network
    const log = readFileSync(server.log, 'utf8');
    for (const ip of [net.clientIps.a, net.clientIps.b]) assert.match(log, new RegExp(`connection received: host=${ip.replace(/\./g, '\\.')} `), `a connection from ${ip}`);
  });
}
