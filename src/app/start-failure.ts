/**
 * The one line a failed start prints: a taken or forbidden port names the setting that moves it, so a
 * newcomer never has to read a stack trace to learn that `PORT` exists.
 */
export function startFailureMessage(error: unknown, where: { port: number; host: string }): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return `energy-billing failed to start: port ${where.port} on ${where.host} is in use by another program; stop it, or choose another port with PORT (for example PORT=4001 npm start)`;
  }
  if (code === 'EACCES') {
    return `energy-billing failed to start: not allowed to listen on port ${where.port} on ${where.host}; choose a port above 1023 with PORT (for example PORT=4001 npm start)`;
  }
  return `energy-billing failed to start: ${error instanceof Error ? error.message : String(error)}`;
}
