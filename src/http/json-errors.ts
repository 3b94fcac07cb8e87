import type { Request, Response } from 'express';
import { unauthenticatedMessage, type ApiKeyService, type Caller } from '../access/api-key-service';

/** An error answer of the HTTP routes beside GraphQL, shaped like a GraphQL error (message and code). */
export function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** Whether the request carries a valid key (any role); answers 401 itself when it does not. */
export async function authenticated(access: ApiKeyService, req: Request, res: Response): Promise<boolean> {
  const caller = await access.authenticate(req.headers.authorization);
  if (caller.role !== null) return true;
  fail(res, 401, 'UNAUTHENTICATED', unauthenticatedMessage(caller));
  return false;
}

/** The caller when the request carries a valid key (any role); else answers 401 itself and gives null. */
export async function authenticatedCaller(access: ApiKeyService, req: Request, res: Response): Promise<Caller | null> {
  const caller = await access.authenticate(req.headers.authorization);
  if (caller.role !== null) return caller;
  fail(res, 401, 'UNAUTHENTICATED', unauthenticatedMessage(caller));
  return null;
}
