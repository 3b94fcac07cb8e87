/**
 * Serves the admin console's static files (built into dist/console) at `/`. The files hold no data:
 * every screen asks the GraphQL API with the signed-in key, so serving them bypasses nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Router } from 'express';
import express from 'express';

/**
 * The built console: dist/console beside the compiled server (this file in dist/http), or the
 * repository's dist/console when the server runs from src. Built means it holds the bundle, which the
 * sources in src/console do not.
 */
export function consoleDirectory(): string | null {
  const candidates = [join(__dirname, '..', 'console'), join(__dirname, '..', '..', 'dist', 'console')];
  return candidates.find((dir) => existsSync(join(dir, 'console.js')) && existsSync(join(dir, 'index.html'))) ?? null;
}

export function consoleRouter(directory: string | null): Router {
  const router = express.Router();
  if (directory === null) {
    router.get('/', (_req, res) => {
      res
        .status(200)
        .type('text/plain')
        .send(
          'The admin console is not built: run `npm run build:console` (npm install does it). The API is at /graphql.\n',
        );
    });
    return router;
  }
  router.use((_req, res, next) => {
    // Scripts and styles from this server only; the API over HTTP and WebSocket on the same origin.
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
    );
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });
  router.use(express.static(directory, { index: 'index.html', maxAge: '1h', fallthrough: true }));
  return router;
}
