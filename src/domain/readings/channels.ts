/**
 * What a meter records: channels. A reading is (meter, channel, interval); a channel has an id as the file
 * names it (`E1`, `B1`, `Export Wh Total`, or a kind's name) and a kind. Registers of one kind (E1 and E2)
 * are kept apart and summed for billing.
 */

export const CHANNEL_KINDS = ['IMPORT', 'EXPORT', 'REACTIVE_IMPORT', 'REACTIVE_EXPORT'] as const;
/** Energy the customer consumes or exports (kWh), and reactive energy consumed or exported (kvarh). */
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface Channel {
  id: string;
  kind: ChannelKind;
}

/** The channel of a file that names none (and of every reading recorded before channels existed). */
export const DEFAULT_CHANNEL: Readonly<Channel> = { id: 'IMPORT', kind: 'IMPORT' };

export const isDefaultChannel = (channel: Channel): boolean =>
  channel.id === DEFAULT_CHANNEL.id && channel.kind === DEFAULT_CHANNEL.kind;

/** Whether a kind records reactive energy (kvarh) rather than active energy (kWh). */
export const isReactiveKind = (kind: ChannelKind): boolean => kind === 'REACTIVE_IMPORT' || kind === 'REACTIVE_EXPORT';

/** The unit a kind's readings are kept in (exact millionths of it). */
export const unitOfKind = (kind: ChannelKind): 'kWh' | 'kvarh' => (isReactiveKind(kind) ? 'kvarh' : 'kWh');

/** A kind by its name, any case (`import`, `Export`, `reactive_import`), or null. */
export function kindOfName(text: string): ChannelKind | null {
  const upper = text.trim().toUpperCase();
  return CHANNEL_KINDS.find((kind) => kind === upper) ?? null;
}

/**
 * The kind of an energy series as meter exports name it (`Import Wh Total`, `TOU CH1 Export Wh Total`,
 * `Export varh Total`), or null for a series that is not energy (volts, amps, power, phase angles).
 */
export function kindOfSeries(series: string): ChannelKind | null {
  const match = /\b(import|export)\s+(wh|varh)\b/i.exec(series);
  if (match === null) return null;
  const exported = match[1]!.toLowerCase() === 'export';
  return match[2]!.toLowerCase() === 'wh'
    ? exported
      ? 'EXPORT'
      : 'IMPORT'
    : exported
      ? 'REACTIVE_EXPORT'
      : 'REACTIVE_IMPORT';
}

/**
 * The kind of a NEM12 channel by its NMI suffix's first letter, in the market's view: `E` consumed (E1
 * general, E2 controlled load), `B` exported, `Q` reactive consumed, `K` reactive exported; else null.
 */
export function kindOfNmiSuffix(suffix: string): ChannelKind | null {
  switch (suffix.trim().charAt(0).toUpperCase()) {
    case 'E':
      return 'IMPORT';
    case 'B':
      return 'EXPORT';
    case 'Q':
      return 'REACTIVE_IMPORT';
    case 'K':
      return 'REACTIVE_EXPORT';
    default:
      return null;
  }
}
