/**
 * What every HTTP answer of the service owes a hostile caller: headers that give nothing away, errors as
 * JSON without internals whatever NODE_ENV says, and a multipart parser that cannot take the process down.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { ownValue, type JsonDictionary } from '../domain/json-dictionary';

const ignore = (): void => undefined;

/**
 * graphql-upload-minimal listens for its busboy parser's first error only (`once`), then destroys the
 * parser, and busboy emits a second error ("Unexpected end of form") from its destroy: unhandled, it ends
 * the process. One anonymous request with a bad part header (a NUL in a file name) did that. The request
 * is piped into the parser, so the parser gets a listener of ours here; the first error is still the
 * library's, which refuses the request with a 400.
 *
 * The library also puts each file at its `map` path by walking `operations` with plain property reads:
 * `variables.hasOwnProperty.call` walked into Object.prototype.hasOwnProperty and set `call` on it, for
 * the whole process, from one anonymous request. So a map whose paths do not name the operations' own
 * keys all the way is refused here, before the library walks it.
 */
export function guardMultipartParser(req: Request, _res: Response, next: NextFunction): void {
  if (req.is('multipart/form-data')) {
    const pipe = req.pipe.bind(req);
    req.pipe = (<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
      const parser = destination as unknown as NodeJS.EventEmitter;
      parser.on('error', ignore);
      const emit = parser.emit.bind(parser);
      let operations: string | null = null;
      parser.emit = (event: string | symbol, ...args: unknown[]): boolean => {
        if (event === 'field' && args[0] === 'operations' && typeof args[1] === 'string') operations = args[1];
        if (event === 'field' && args[0] === 'map' && typeof args[1] === 'string' && operations !== null) {
          const problem = mapPathProblem(operations, args[1]);
          if (problem !== null) return emit('error', Object.assign(new Error(problem), { status: 400 }));
        }
        return emit(event, ...args);
      };
      return pipe(destination, options);
    }) as typeof req.pipe;
  }
  next();
}

/** Why a multipart `map` may not be applied to `operations`: a path that is not own keys all the way. */
export function mapPathProblem(operationsText: string, mapText: string): string | null {
  let operations: unknown;
  let map: unknown;
  try {
    operations = JSON.parse(operationsText);
    map = JSON.parse(mapText);
  } catch {
    return null; // the library says which field is not JSON
  }
  if (map === null || typeof map !== 'object') return null;
  for (const paths of Object.values(map)) {
    if (!Array.isArray(paths)) continue;
    for (const path of paths) {
      if (typeof path !== 'string') continue;
      let node = operations;
      for (const key of path.split('.')) {
        const owner = node !== null && typeof node === 'object' ? (node as JsonDictionary<unknown>) : undefined;
        if (owner === undefined || !Object.hasOwn(owner, key))
          return `map path '${path.slice(0, 100)}' does not name a variable of the operations: each part must be a key the operations hold`;
        node = ownValue(owner, key);
      }
    }
  }
  return null;
}

/** Headers on every answer: no framework banner, no referrer to other sites, no type sniffing. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
}

/** How long a refused request's body may go on arriving after the answer before its connection is cut. */
const LINGER_MS = 1_000;

/**
 * A request refused with its body unread (a multipart upload refused half-way, a body over its limit):
 * the rest of the body is read and dropped for a moment after the answer, so a client still sending gets
 * to read it; a body that does not end by then (a large one, or one shorter than its Content-Length)
 * has its connection cut, instead of being read as the next request on it or holding it open.
 */
export function closeIfBodyUnread(req: Request, res: Response): void {
  if (req.complete) return;
  res.once('finish', () => {
    if (req.complete) return;
    req.resume();
    const cut = setTimeout(() => req.socket.destroy(), LINGER_MS);
    cut.unref();
    req.once('end', () => clearTimeout(cut));
  });
}

/**
 * The last handler of the app: any error no route answered (a path Express cannot decode, a failure in
 * a static file) becomes a JSON error without a stack or a path; a 5xx is logged with an id to quote.
 */
export function jsonErrors(log: (message: string, fields: Record<string, unknown>) => void) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = statusOf(error);
    const httpStatus = status !== null && status >= 400 ? status : 500;
    closeIfBodyUnread(req, res);
    if (httpStatus >= 500) {
      const errorId = randomUUID();
      log('request failed', { errorId, path: req.path, error: error instanceof Error ? error.message : String(error) });
      res.status(httpStatus).json({
        errors: [
          {
            message: 'the server failed to answer this request',
            extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
          },
        ],
      });
      return;
    }
    const message =
      error instanceof URIError ? 'the path is not valid percent-encoded text' : 'the request could not be read';
    res.status(httpStatus).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  };
}

/**
 * The answer to a request no route took: 405 with `Allow` for a method a known path does not serve
 * (`getOnly`: paths served by GET alone, with what lies under them), else 404; JSON with a code either
 * way, never Express's HTML page. The path is not echoed.
 */
export function unknownRoutes(getOnly: readonly string[]) {
  return (req: Request, res: Response): void => {
    closeIfBodyUnread(req, res);
    const known = getOnly.some((path) => req.path === path || req.path.startsWith(`${path}/`));
    if (known && req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.status(405).json({
        errors: [
          { message: `${req.method} is not served at this path; use GET`, extensions: { code: 'METHOD_NOT_ALLOWED' } },
        ],
      });
      return;
    }
    res.status(404).json({
      errors: [
        {
          message: 'nothing is served at this path: the API is POST /graphql (see docs/api.md)',
          extensions: { code: 'NOT_FOUND' },
        },
      ],
    });
  };
}

/**
 * A request refused before GraphQL ran (a body over its limit, JSON or multipart that does not parse)
 * is answered as a GraphQL error in JSON, never with Express's HTML page, its stack or the server's paths.
 */
export function unreadRequestErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  const status = statusOf(error);
  const httpStatus = status !== null && status >= 400 && status < 500 ? status : 400;
  closeIfBodyUnread(req, res);
  const code = httpStatus === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
  const message =
    httpStatus === 413
      ? 'the request body is larger than this endpoint takes'
      : `the request could not be read: ${error instanceof Error ? error.message.split('\n')[0] : 'malformed body'}`;
  res.status(httpStatus).json({ errors: [{ message, extensions: { code } }] });
}

/** The HTTP status an error carries (body parsers and http-errors set `status`), or null. */
function statusOf(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 100 && status < 600 ? status : null;
}

/**
 * A request Node cannot read at all (a request line and headers over its 16 KiB, such as a GET with a
 * huge query string; a malformed request line) is answered in JSON with a code, then its connection
 * closed: Node's own answer is a bare status line.
 */
export function jsonClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    errors: [
      {
        message: tooLarge
          ? 'the request line and headers are over 16 KiB; send a long document in a POST body'
          : 'the request could not be read as HTTP',
        extensions: { code: tooLarge ? 'REQUEST_HEADER_FIELDS_TOO_LARGE' : 'BAD_REQUEST' },
      },
    ],
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
