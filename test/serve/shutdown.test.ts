// grove serve as a child process: SIGTERM with requests in flight finishes them and exits 0;
// SIGINT on an idle server exits 0 at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FEATURES, diabetesRows, grove, tempDir, trainRegistered } from './helpers.js';

interface Child {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function serve(db: string, uri: string): Promise<Child> {
  const proc = spawn(process.execPath, [grove, 'serve', uri, '--port', '0', '--tracking-uri', db, '--poll-seconds', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    void exit.then((code) => reject(new Error(`grove serve exited ${code}: ${stderr}`)));
  });
  return { proc, url, stderr: () => stderr, exit };
}

test('SIGTERM with requests in flight: they finish with 200, new connections are refused, exit 0', async () => {
  const dir = tempDir();
  const db = join(dir, 'grove.db');
  // 1,000 trees: scoring 50,000 rows takes a few hundred ms, so the requests are still in flight
  // 200 ms after they were sent (with 100 trees the faster predictor finished them first)
  trainRegistered(db, 's', 1000);
  const child = await serve(db, 'models:/s@production');
  try {
    const body = JSON.stringify({ dataframe_split: { columns: FEATURES, data: diabetesRows(50_000) } });
    const inFlight = [0, 1, 2].map(() => postRaw(`${child.url}/invocations`, body));
    // every body has left this process; a moment later the server is reading or scoring them
    await Promise.all(inFlight.map((r) => r.sent));
    await sleep(200);
    child.proc.kill('SIGTERM');
    const replies = await Promise.all(
      inFlight.map(async (r) => {
        const { status, text } = await r.reply;
        return { status, n: (JSON.parse(text) as { predictions: number[] }).predictions.length };
      }),
    );
    assert.deepEqual(
      replies,
      [0, 1, 2].map(() => ({ status: 200, n: 50_000 })),
    );
    assert.equal(await child.exit, 0, child.stderr());
    assert.match(child.stderr(), /SIGTERM: shutting down, finishing [1-3] requests? in flight/);
    assert.match(child.stderr(), /server stopped/);
    await assert.rejects(fetch(`${child.url}/ping`), 'nothing listens any more');
  } finally {
    child.proc.kill('SIGKILL');
  }
});

test('SIGINT on an idle server exits 0', async () => {
  const dir = tempDir();
  const db = join(dir, 'grove.db');
  trainRegistered(db, 'i', 5);
  const child = await serve(db, 'models:/i@production');
  try {
    assert.equal((await fetch(`${child.url}/ping`)).status, 200);
    child.proc.kill('SIGINT');
    assert.equal(await child.exit, 0, child.stderr());
    assert.match(child.stderr(), /SIGINT: shutting down, finishing 0 requests in flight/);
  } finally {
    child.proc.kill('SIGKILL');
  }
});

/** A POST whose `sent` resolves once the whole body is written (fetch does not tell). */
function postRaw(url: string, body: string): { sent: Promise<void>; reply: Promise<{ status: number; text: string }> } {
  let sent!: Promise<void>;
  const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    sent = new Promise((done) => req.on('finish', () => done()));
    req.end(body);
  });
  return { sent, reply };
}
