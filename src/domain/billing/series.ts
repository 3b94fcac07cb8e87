/**
 * Billing keeps its meter-days per series: a meter's billed import under the meter's own id (the sum of
 * its import registers), and each register of a file that names its channels under
 * `<meter>#<KIND>#<channel>` (`MP1#IMPORT#E1`, `MP1#EXPORT#B1`). Another kind's total is summed from its
 * registers when asked and named `<meter>#<KIND>` (`MP1#EXPORT`). Meter ids never hold a `#` (they are
 * letters, digits, `.`, `_` and `-`), so a key says which it is.
 */
import type { ChannelKind } from '../readings/channels';
import { CHANNEL_KINDS } from '../readings/channels';

const SEPARATOR = '#';

export interface Series {
  meter: string;
  kind: ChannelKind;
  /** One register; null for the kind's total (the meter's billed import, for IMPORT). */
  channel: string | null;
}

/** The key of a series: the meter itself for its billed import. */
export function seriesKey(meter: string, kind: ChannelKind = 'IMPORT', channel: string | null = null): string {
  if (channel === null) return kind === 'IMPORT' ? meter : `${meter}${SEPARATOR}${kind}`;
  return `${meter}${SEPARATOR}${kind}${SEPARATOR}${channel}`;
}

/** The start of every series key of a meter other than its billed import: `MP1#`. */
export const seriesPrefix = (meter: string): string => `${meter}${SEPARATOR}`;

/** The start of the keys of a meter's registers of one kind: `MP1#EXPORT#`. */
export const registerPrefix = (meter: string, kind: ChannelKind): string => `${meter}${SEPARATOR}${kind}${SEPARATOR}`;

/** What a key names; a plain meter id is its billed import. */
export function seriesOf(key: string): Series {
  const first = key.indexOf(SEPARATOR);
  if (first < 0) return { meter: key, kind: 'IMPORT', channel: null };
  const second = key.indexOf(SEPARATOR, first + 1);
  const kindText = key.slice(first + 1, second < 0 ? undefined : second);
  const kind = CHANNEL_KINDS.find((k) => k === kindText) ?? 'IMPORT';
  return { meter: key.slice(0, first), kind, channel: second < 0 ? null : key.slice(second + 1) };
}
