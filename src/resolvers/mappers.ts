import type { ChannelSummary, IntervalSummary } from '../domain/readings/events';
import { ChannelKind, type UploadChannelType } from './types/channel.types';
import type { AppliedFormat, ColumnRef, ReadingsFormatRequest } from '../domain/readings/format/request';
import type { UploadReceipt } from '../ingestion/upload-receipt';
import type { UploadStatusDoc } from '../domain/readings/upload-status';
import type { RejectedRowRecord } from '../ports/upload-read-model';
import type { FileValidationUpdateType, RejectedRowType, UploadReceiptType } from './types/upload.types';
import { UploadStatus } from './types/upload.types';
import {
  IntervalSource,
  ReadingsDialect,
  TimestampMarks,
  type AppliedFormatType,
  type MeterIntervalsType,
  type ReadingsFormatInput,
} from './types/format.types';

/** A column given as digits is a 1-based position, else a name. */
const columnRef = (text: string): ColumnRef => (/^\d+$/.test(text.trim()) ? { index: Number(text) } : { name: text });

/** The GraphQL format input in the service's terms (absent fields stay absent). */
export function formatRequestFromInput(input: ReadingsFormatInput): ReadingsFormatRequest {
  const request: ReadingsFormatRequest = {};
  if (input.dialect != null) request.dialect = input.dialect;
  if (input.meterColumn != null) request.meterColumn = columnRef(input.meterColumn);
  if (input.timestampColumn != null) request.timestampColumn = columnRef(input.timestampColumn);
  if (input.valueColumn != null) request.valueColumn = columnRef(input.valueColumn);
  if (input.delimiter != null) request.delimiter = input.delimiter;
  if (input.decimalComma != null) request.decimalComma = input.decimalComma;
  if (input.timestampFormat != null) request.timestampFormat = input.timestampFormat;
  if (input.timeZone != null) request.timeZone = input.timeZone;
  if (input.unit != null) request.unit = input.unit;
  if (input.intervalMinutes != null) request.intervalMinutes = input.intervalMinutes;
  if (input.timestampMarks != null) request.timestampMarks = input.timestampMarks;
  if (input.filter != null) request.filter = { column: columnRef(input.filter.column), value: input.filter.value };
  if (input.qualityColumn != null) request.qualityColumn = columnRef(input.qualityColumn);
  if (input.encoding != null) request.encoding = input.encoding;
  if (input.channelColumn != null) request.channelColumn = columnRef(input.channelColumn);
  if (input.channelKinds != null) request.channelKinds = input.channelKinds.map(({ value, kind }) => ({ value, kind }));
  if (input.channel != null) request.channel = input.channel;
  return request;
}

function formatDto(format: AppliedFormat | null | undefined): AppliedFormatType | null {
  if (format == null) return null;
  return {
    ...format,
    dialect: ReadingsDialect[format.dialect],
    timestampMarks: TimestampMarks[format.timestampMarks],
    filter: format.filter,
    qualityColumn: format.qualityColumn ?? null,
    encoding: format.encoding ?? 'utf-8',
    channel: format.channel ?? 'IMPORT',
  };
}

const intervalsDto = (intervals: readonly IntervalSummary[] | undefined): MeterIntervalsType[] =>
  (intervals ?? []).map((i) => ({ minutes: i.minutes, how: IntervalSource[i.how], meters: i.meters }));

const channelsDto = (channels: readonly ChannelSummary[] | undefined): UploadChannelType[] =>
  (channels ?? []).map((c) => ({ ...c, kind: ChannelKind[c.kind] }));

export function receiptFromDoc(doc: UploadStatusDoc): UploadReceiptType {
  return {
    uploadId: doc.uploadId,
    fileName: doc.fileName,
    status: UploadStatus[doc.status],
    totalRows: doc.totalRows,
    acceptedRows: doc.acceptedRows,
    rejectedRows: doc.rejectedRows,
    roundedRows: doc.roundedRows ?? 0,
    skippedRows: doc.skippedRows ?? 0,
    unlistedRejectedRows: doc.unlistedRejectedRows ?? 0,
    format: formatDto(doc.format),
    intervals: intervalsDto(doc.intervals),
    qualityMarks: doc.qualityMarks ?? [],
    channels: channelsDto(doc.channels),
    duplicateOf: doc.duplicateOf,
    position: doc.position,
    message: doc.message,
    byteSize: doc.byteSize,
    sha256: doc.sha256,
    meters: doc.meters,
    firstIntervalStart: doc.firstIntervalStart,
    lastIntervalStart: doc.lastIntervalStart,
    receivedAt: doc.receivedAt,
    finishedAt: doc.finishedAt,
    uploadedBy: doc.uploadedBy,
  };
}

export function receiptFromCommand(receipt: UploadReceipt): UploadReceiptType {
  return {
    ...receipt,
    status: UploadStatus[receipt.status],
    format: formatDto(receipt.format),
    intervals: intervalsDto(receipt.intervals),
    channels: channelsDto(receipt.channels),
    byteSize: null,
    sha256: null,
    meters: null,
    firstIntervalStart: null,
    lastIntervalStart: null,
    receivedAt: null,
    finishedAt: null,
    uploadedBy: null,
  };
}

export function rejectedRowFromRecord(row: RejectedRowRecord): RejectedRowType {
  return {
    line: row.line,
    raw: row.raw,
    reasons: row.reasons.map((reason) => ({ code: reason.code, message: reason.message, field: reason.field ?? null })),
  };
}

export function validationUpdateFromDoc(doc: UploadStatusDoc): FileValidationUpdateType {
  return {
    uploadId: doc.uploadId,
    status: UploadStatus[doc.status],
    processedRows: doc.totalRows,
    acceptedRows: doc.acceptedRows,
    rejectedRows: doc.rejectedRows,
    done: doc.status !== 'RECEIVED',
    message: doc.message,
    duplicateOf: doc.duplicateOf,
  };
}
