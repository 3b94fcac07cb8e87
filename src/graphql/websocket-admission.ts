import type { WebSocket } from 'ws';

/**
 * Who may hold a GraphQL WebSocket. A connection is pending from its handshake until its
 * `connection_init` carries a valid key; then it is admitted. Only admitted connections count against
 * `WS_MAX_CONNECTIONS`, so connections that never authenticate cannot lock the admins out; pending ones
 * are capped per client address, and graphql-ws closes any that sends no `connection_init` in time.
 */
export class WebSocketAdmission {
  private readonly admitted = new Set<WebSocket>();
  private readonly pendingByAddress = new Map<string, number>();
  /** Takes a socket out of its address's pending count, once. */
  private readonly leavePending = new WeakMap<WebSocket, () => void>();

  constructor(
    private readonly maxAdmitted: number,
    private readonly maxPendingPerAddress: number,
  ) {}

  /** Why a handshake from this address is refused now (HTTP status and reason), or null. */
  refusal(address: string): { status: number; reason: string } | null {
    if (this.admitted.size >= this.maxAdmitted) {
      return { status: 503, reason: 'too many WebSocket connections (WS_MAX_CONNECTIONS)' };
    }
    if ((this.pendingByAddress.get(address) ?? 0) >= this.maxPendingPerAddress) {
      return { status: 429, reason: 'too many WebSocket connections waiting to authenticate from this address' };
    }
    return null;
  }

  /** A socket that completed its handshake: pending until `admit`, forgotten when it closes. */
  opened(socket: WebSocket, address: string): void {
    this.pendingByAddress.set(address, (this.pendingByAddress.get(address) ?? 0) + 1);
    let pending = true;
    const leavePending = () => {
      if (!pending) return;
      pending = false;
      const left = (this.pendingByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.pendingByAddress.set(address, left);
      else this.pendingByAddress.delete(address);
    };
    socket.once('close', () => {
      leavePending();
      this.admitted.delete(socket);
    });
    this.leavePending.set(socket, leavePending);
  }

  /**
   * The socket authenticated: it now counts against the connection limit. False when the limit was
   * reached while it waited (it is then to be closed).
   */
  admit(socket: WebSocket): boolean {
    this.leavePending.get(socket)?.();
    this.leavePending.delete(socket);
    if (this.admitted.size >= this.maxAdmitted) return false;
    this.admitted.add(socket);
    return true;
  }
}
