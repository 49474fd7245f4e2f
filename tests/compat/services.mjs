// PostgreSQL and Redis for the suite's multi-node cases, from $AGOR_TEST_SERVICES (the C++
// program tests/support/test_services_main.cpp, whose header gives its protocol: a first JSON
// line of URLs, then `db NAME` lines on stdin, each answered by a fresh database's URL and an
// emptied Redis). Closing its stdin stops both servers; so does this process's death.
// `startNodes` then starts agor nodes on one such fresh database (daemon.mjs).
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { startDaemon } from './daemon.mjs';

const START_TIMEOUT_MS = 90000; // initdb takes seconds on a loaded machine
const ANSWER_TIMEOUT_MS = 30000;

// Why a suite that needs the services skips, or undefined when they are available.
export function servicesMissing() {
  return process.env.AGOR_TEST_SERVICES ? undefined
    : 'AGOR_TEST_SERVICES is not set (path of agor_test_services: ctest sets it, see README.md)';
}

export class Services {
  constructor(bin = process.env.AGOR_TEST_SERVICES) {
    this.child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-16384);
    });
    this.lines = [];
    this.waiter = null;
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.exited.then(() => this.waiter?.(null));
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.(this.lines.shift());
    });
  }

  // The next answer line, parsed; rejects when the program exits or after `timeoutMs`.
  async next(timeoutMs, what) {
    const line = this.lines.length ? this.lines.shift() : await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiter = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
    });
    this.waiter = null;
    if (typeof line !== 'string') {
      const why = line === null ? 'it exited' : 'timed out';
      throw new Error(`agor_test_services: no answer to ${what} (${why}); stderr:\n${this.stderr}`);
    }
    const answer = JSON.parse(line);
    if (answer.error) throw new Error(`agor_test_services: ${what}: ${answer.error}`);
    return answer;
  }

  // A fresh database and an empty Redis: {store, broker}.
  database(name) {
    this.child.stdin.write(`db ${name}\n`);
    return this.next(ANSWER_TIMEOUT_MS, `db ${name}`);
  }

  // Closes its stdin (it stops both servers) and waits for it to exit.
  async stop() {
    this.child.stdin.end();
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve('late'), ANSWER_TIMEOUT_MS);
    });
    if (await Promise.race([this.exited, late]) === 'late') this.child.kill('SIGKILL');
    clearTimeout(timer);
  }
}

// A started Services (its first line read).
export async function startServices() {
  const services = new Services();
  try {
    await services.next(START_TIMEOUT_MS, 'start');
  } catch (err) {
    services.child.kill('SIGKILL');
    throw err;
  }
  return services;
}

// `count` agor nodes on a fresh database named after `name`, all with `args`: the first starts
// alone (it creates the schema and the admin), the others then together with its credentials.
export async function startNodes(services, name, { count = 3, args = [] } = {}) {
  const { store, broker } = await services.database(name);
  const options = { args, store, broker, name: `agor-${name}` };
  const nodes = [await startDaemon(options)];
  const credentials = nodes[0].credentials;
  const others = await Promise.allSettled(Array.from({ length: count - 1 },
    () => startDaemon({ ...options, credentials })));
  for (const o of others) if (o.status === 'fulfilled') nodes.push(o.value);
  const failed = others.find((o) => o.status === 'rejected');
  if (failed || !credentials) {
    await stopNodes(nodes);
    throw failed?.reason ?? new Error('the first node wrote no admin-credentials');
  }
  return nodes;
}

export async function stopNodes(nodes = []) {
  await Promise.all(nodes.map((n) => n.dispose()));
}
