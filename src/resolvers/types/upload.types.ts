import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UploadChannelType } from './channel.types';
import { PageInfo } from './connection';
import { AppliedFormatType, MeterIntervalsType, QualityMarkType } from './format.types';

export enum UploadStatus {
  RECEIVED = 'RECEIVED',
  VALIDATED = 'VALIDATED',
  REJECTED = 'REJECTED',
  FAILED = 'FAILED',
  INTERRUPTED = 'INTERRUPTED',
}
registerEnumType(UploadStatus, {
  name: 'UploadStatus',
  description:
    'RECEIVED while rows are being validated; at the end VALIDATED (its readings take effect), REJECTED (the whole ' +
    'file is unusable), FAILED (the event log refused a write) or INTERRUPTED (the server stopped mid-file). Only a ' +
    "VALIDATED upload's readings are billed; a FAILED or INTERRUPTED file can be uploaded again.",
});

@ObjectType('UploadReceipt', { description: 'The state of one uploaded readings file.' })
export class UploadReceiptType {
  @Field(() => ID)
  uploadId!: string;

  @Field(() => String)
  fileName!: string;

  @Field(() => UploadStatus)
  status!: UploadStatus;

  @Field(() => Int)
  totalRows!: number;

  @Field(() => Int)
  acceptedRows!: number;

  @Field(() => Int)
  rejectedRows!: number;

  @Field(() => Int, { description: 'Accepted rows whose kWh had more than 6 decimals, rounded half up to 6.' })
  roundedRows!: number;

  @Field(() => Int, {
    description: "Rows the format's filter left out (other data series of an export): neither accepted nor rejected.",
  })
  skippedRows!: number;

  @Field(() => Int, {
    description:
      'Rejected rows counted in rejectedRows but not listed by rejectedRows(uploadId): a file keeps at most ' +
      'MAX_LISTED_REJECTED_ROWS rejected rows with their reasons (0 when every one is listed).',
  })
  unlistedRejectedRows!: number;

  @Field(() => AppliedFormatType, {
    nullable: true,
    description: 'The format the file was read with (null when it was refused before its header).',
  })
  format!: AppliedFormatType | null;

  @Field(() => [MeterIntervalsType], {
    description: "The meters' intervals: how many meters have each, and how it was found.",
  })
  intervals!: MeterIntervalsType[];

  @Field(() => [QualityMarkType], {
    description:
      "Accepted readings by the export's status or quality mark (format.qualityColumn: an LP file's Status, a TOU " +
      "file's Quality), kept with each reading in the log; empty when the file has none.",
  })
  qualityMarks!: QualityMarkType[];

  @Field(() => [UploadChannelType], {
    description:
      'The channels of the accepted readings (import, export, reactive), with their meters and readings; ' +
      'uploads made before channels were kept list none.',
  })
  channels!: UploadChannelType[];

  @Field(() => ID, { nullable: true, description: 'The earlier upload this file is byte-identical to.' })
  duplicateOf!: string | null;

  @Field(() => String, { description: 'Event-log position this upload was written up to (opaque).' })
  position!: string;

  @Field(() => String, { nullable: true })
  message!: string | null;

  @Field(() => Int, { nullable: true, description: 'Size of the file in bytes.' })
  byteSize!: number | null;

  @Field(() => String, { nullable: true, description: 'SHA-256 of the file, hex.' })
  sha256!: string | null;

  @Field(() => Int, { nullable: true, description: 'Distinct meters with accepted readings.' })
  meters!: number | null;

  @Field(() => String, { nullable: true, description: 'First accepted interval start (UTC, ISO-8601).' })
  firstIntervalStart!: string | null;

  @Field(() => String, { nullable: true, description: 'Last accepted interval start (UTC, ISO-8601).' })
  lastIntervalStart!: string | null;

  @Field(() => String, { nullable: true })
  receivedAt!: string | null;

  @Field(() => String, { nullable: true })
  finishedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'The name of the API key (or token) that uploaded the file.' })
  uploadedBy!: string | null;
}

@ObjectType('RejectionReason')
export class RejectionReasonType {
  @Field(() => String, { description: 'Stable code, such as KWH_NEGATIVE or DUPLICATE_READING.' })
  code!: string;

  @Field(() => String)
  message!: string;

  @Field(() => String, { nullable: true, description: 'Column the reason is about, when it is one column.' })
  field!: string | null;
}

@ObjectType('RejectedRow')
export class RejectedRowType {
  @Field(() => Int, { description: 'Line number in the file, the header being line 1.' })
  line!: number;

  @Field(() => String, { description: 'The row as read, cut to 1 KiB.' })
  raw!: string;

  @Field(() => [RejectionReasonType])
  reasons!: RejectionReasonType[];
}

@ObjectType('FileValidationUpdate')
export class FileValidationUpdateType {
  @Field(() => ID)
  uploadId!: string;

  @Field(() => UploadStatus)
  status!: UploadStatus;

  @Field(() => Int)
  processedRows!: number;

  @Field(() => Int)
  acceptedRows!: number;

  @Field(() => Int)
  rejectedRows!: number;

  @Field(() => Boolean)
  done!: boolean;

  @Field(() => String, { nullable: true })
  message!: string | null;

  @Field(() => ID, { nullable: true })
  duplicateOf!: string | null;
}

@ObjectType('UploadEdge')
export class UploadEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => UploadReceiptType)
  node!: UploadReceiptType;
}

@ObjectType('UploadConnection')
export class UploadConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [UploadEdge])
  edges!: UploadEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType('RejectedRowEdge')
export class RejectedRowEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => RejectedRowType)
  node!: RejectedRowType;
}

@ObjectType('RejectedRowConnection')
export class RejectedRowConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [RejectedRowEdge])
  edges!: RejectedRowEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
