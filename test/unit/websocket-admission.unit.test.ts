/** Who may hold a GraphQL WebSocket: admitted connections against the limit, pending ones per address. */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { WebSocketAdmission } from '../../src/graphql/websocket-admission';

const socket = () => new EventEmitter() as unknown as WebSocket;
const close = (s: WebSocket) => (s as unknown as EventEmitter).emit('close');

describe('WebSocketAdmission', () => {
  it('counts only authenticated connections against the limit, and refuses past it', () => {
    const admission = new WebSocketAdmission(2, 10);
    const [a, b, c] = [socket(), socket(), socket()];
    for (const s of [a, b, c]) admission.opened(s, '10.0.0.1');
    expect(admission.refusal('10.0.0.2')).toBeNull(); // pending ones do not count
    expect(admission.admit(a)).toBe(true);
    expect(admission.admit(b)).toBe(true);
    expect(admission.refusal('10.0.0.2')).toEqual({
      status: 503,
      reason: expect.stringContaining('WS_MAX_CONNECTIONS'),
    });
    expect(admission.admit(c)).toBe(false); // the limit was reached while it waited
    close(a);
    expect(admission.refusal('10.0.0.2')).toBeNull();
  });

  it('lets a few connections per address wait for their connection_init, each counted until it leaves', () => {
    const admission = new WebSocketAdmission(100, 2);
    const [a, b] = [socket(), socket()];
    admission.opened(a, '10.0.0.1');
    admission.opened(b, '10.0.0.1');
    expect(admission.refusal('10.0.0.1')).toEqual({ status: 429, reason: expect.stringContaining('this address') });
    expect(admission.refusal('10.0.0.9')).toBeNull();
    admission.admit(a);
    expect(admission.refusal('10.0.0.1')).toBeNull();
    admission.opened(socket(), '10.0.0.1');
    close(b);
    close(b); // a second close changes nothing
    expect(admission.refusal('10.0.0.1')).toBeNull();
  });
});
