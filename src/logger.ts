import type { Config } from './config';

export type LogFields = Record<string, unknown>;
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const ORDER = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

/** One JSON line per entry on stderr, for log shippers. */
export function createLogger(
  level: Config['logLevel'],
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const at =
    (name: keyof Logger) =>
    (message: string, fields: LogFields = {}): void => {
      if (ORDER[name] < ORDER[level]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: name, message, ...fields })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
