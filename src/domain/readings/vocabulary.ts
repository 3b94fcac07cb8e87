/**
 * The words a readings file is judged in: why a row is rejected (its codes and reasons, as the upload's
 * events record them). Its own file, so that the rules (format, timestamps, rows) and the events that
 * record their verdicts all import it without importing each other.
 */

export interface RejectionReason {
  code: RejectionCode;
  message: string;
  field?: string;
}

export interface RejectedRow {
  line: number;
  /** The row as it appeared in the file, cut to 1 KiB. */
  raw: string;
  reasons: RejectionReason[];
}

export type RejectionCode =
  | 'FIELD_COUNT'
  | 'METER_ID_MISSING'
  | 'METER_ID_INVALID'
  | 'TIMESTAMP_MISSING'
  | 'TIMESTAMP_INVALID'
  | 'TIMESTAMP_NONEXISTENT'
  | 'TIMESTAMP_AMBIGUOUS'
  | 'TIMESTAMP_OFF_GRID'
  | 'TIMESTAMP_OUT_OF_SEQUENCE'
  | 'KWH_MISSING'
  | 'KWH_INVALID'
  | 'KWH_NEGATIVE'
  | 'KWH_TOO_LARGE'
  | 'KWH_PRECISION'
  | 'DUPLICATE_READING'
  | 'ENCODING_INVALID'
  | 'MALFORMED_CSV'
  | 'LINE_TOO_LONG'
  | 'CHANNEL_INVALID'
  | 'RECORD_INVALID';

/** How a meter's interval in a file was found: declared by the format, inferred from its readings, or the default. */
export type IntervalSource = 'DECLARED' | 'INFERRED' | 'DEFAULT';
