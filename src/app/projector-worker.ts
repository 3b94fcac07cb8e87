/**
 * The projector thread's entry: opens its own connections to the configured backends (with the builder
 * the main thread uses) and runs the service's projections there, so billing a month (or replaying the log) uses another core and never holds the
 * event loop that answers requests. The main thread (`ProjectorThread`) starts and stops it, passes
 * it the lease tenure that fences its writes, and learns each projection's position from it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LogFields, Logger } from '../logger';
import { LeaseFence } from '../projections/leased-projector';
import type { ErrorReport, FromProjector, ProjectorWorkerData, ToProjector } from '../projections/projector-protocol';
import { ProjectionRunner, UnknownProjectionError } from '../projections/runner';
import { SERVICE_STREAM_PREFIXES } from '../projections/stream-prefixes';
import { billingRulesOf, openBackends, type Backends } from './backends';

const port = parentPort;
if (port === null) throw new Error('projector-worker.ts runs as a worker thread');
const { config, grant } = workerData as ProjectorWorkerData;

const send = (message: FromProjector): void => port.postMessage(message);

const forward =
  (level: 'debug' | 'info' | 'warn' | 'error') =>
  (message: string, fields: LogFields = {}): void => {
    try {
      send({ kind: 'log', level, message, fields: { ...fields, thread: 'projector' } });
    } catch {
      // A field that cannot cross threads (a function, a socket): send its text.
      send({ kind: 'log', level, message, fields: JSON.parse(JSON.stringify({ ...fields, thread: 'projector' })) });
    }
  };
const log: Logger = { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };

function reportOf(error: unknown): ErrorReport {
  if (error instanceof UnknownProjectionError) {
    return { name: error.name, message: error.message, unknown: error.unknown, known: error.known };
  }
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

const fence = new LeaseFence(grant);
let backends: Backends | null = null;
let runner: ProjectionRunner | null = null;

async function start(): Promise<void> {
  // This thread only projects: the small page cache of a writer (the API's connection answers the queries).
  backends = await openBackends(config, log, 'projections');
  const definitions = backends.readStore.projectionDefinitions(billingRulesOf(config), fence);
  runner = new ProjectionRunner(backends.eventStore, definitions, backends.readStore.versions, log, {
    streamPrefixes: SERVICE_STREAM_PREFIXES,
    onProgress: (status) => send({ kind: 'progress', status }),
  });
  await runner.start();
}

async function stop(): Promise<void> {
  await runner
    ?.stop()
    .catch((error: unknown) => log.error('projections did not stop cleanly', { error: String(error) }));
  await backends
    ?.close()
    .catch((error: unknown) => log.error('backends did not close cleanly', { error: String(error) }));
  runner = null;
  backends = null;
}

port.on('message', (message: ToProjector) => {
  switch (message.kind) {
    case 'start':
      start().then(
        () => send({ kind: 'started' }),
        (error: unknown) => send({ kind: 'startFailed', error: reportOf(error) }),
      );
      return;
    case 'grant':
      fence.hold(message.grant);
      return;
    case 'appended':
      backends?.appendSignal?.wake();
      return;
    case 'rebuild': {
      const running = runner;
      if (running === null) {
        send({
          kind: 'rebuildFailed',
          id: message.id,
          error: { name: 'Error', message: 'the projections are not running' },
        });
        return;
      }
      running.rebuild(message.names).then(
        (report) => send({ kind: 'rebuilt', id: message.id, report }),
        (error: unknown) => send({ kind: 'rebuildFailed', id: message.id, error: reportOf(error) }),
      );
      return;
    }
    case 'lease': {
      const lease = backends?.readStore.lease;
      if (lease === undefined) {
        send({ kind: 'leaseFailed', id: message.id, error: { name: 'Error', message: 'the backends are not open' } });
        return;
      }
      const answer =
        message.op === 'acquire'
          ? lease.tryAcquire(message.holder, message.ttlMs, message.now)
          : lease.release(message.holder).then(() => null);
      answer.then(
        (token) => send({ kind: 'leaseAnswer', id: message.id, token }),
        (error: unknown) => send({ kind: 'leaseFailed', id: message.id, error: reportOf(error) }),
      );
      return;
    }
    case 'stop':
      void stop().then(() => {
        send({ kind: 'stopped' });
        port.close();
      });
      return;
    default: {
      const unknown: never = message;
      throw new Error(`unknown message to the projector thread: ${JSON.stringify(unknown)}`);
    }
  }
});
