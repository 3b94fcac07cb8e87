import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ChannelKind, ChannelKindMappingInput } from './channel.types';

export enum ReadingsDialect {
  BASE = 'BASE',
  LP = 'LP',
  TOU = 'TOU',
  WIDE = 'WIDE',
  NEM12 = 'NEM12',
}
registerEnumType(ReadingsDialect, {
  name: 'ReadingsDialect',
  description:
    'BASE: metering_point_id,timestamp,kwh (and an optional channel column naming a kind). LP and TOU: the meter exports ' +
    '(MeterPoint Code,...,Data Type,Data Value,Units; MeterCode,...,DataType,Energy,Units): each energy series ' +
    '(Import/Export Wh Total, Import/Export varh Total) a channel, other series skipped, unit from the Units column. ' +
    'WIDE: Meter,Date,0:00,0:30,...: one row a meter-day, a column an interval. NEM12: AEMO Meter Data File Format ' +
    '(100/200/300/400/500/900 records), detected from its 100 record.',
});

export enum TimestampMarks {
  START = 'START',
  END = 'END',
}
registerEnumType(TimestampMarks, {
  name: 'TimestampMarks',
  description: 'Whether a timestamp marks the start or the end of its interval.',
});

export enum IntervalSource {
  DECLARED = 'DECLARED',
  INFERRED = 'INFERRED',
  DEFAULT = 'DEFAULT',
}
registerEnumType(IntervalSource, {
  name: 'IntervalSource',
  description:
    'DECLARED by the format (or the WIDE header); INFERRED: the longest of 60, 30 and 15 minutes every reading of the meter falls on; ' +
    'DEFAULT: a meter with a single reading in the file, given READING_INTERVAL_MINUTES.',
});

@InputType('FilterInput', {
  description: 'Keep only rows whose column holds this value (files with several data series).',
})
export class FilterInput {
  @Field(() => String, { description: 'Column name, or its 1-based position as digits.' })
  column!: string;

  @Field(() => String)
  value!: string;
}

@InputType('ReadingsFormatInput', {
  description:
    'How a readings file is laid out. Every field is optional: the header decides the dialect, the base format by default.',
})
export class ReadingsFormatInput {
  @Field(() => ReadingsDialect, {
    nullable: true,
    description: 'Force a dialect instead of detecting it from the header.',
  })
  dialect?: ReadingsDialect | null;

  @Field(() => String, { nullable: true, description: 'Meter id column: its name, or its 1-based position as digits.' })
  meterColumn?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Timestamp column (WIDE: the date column): name or 1-based position.',
  })
  timestampColumn?: string | null;

  @Field(() => String, { nullable: true, description: 'Energy column: name or 1-based position.' })
  valueColumn?: string | null;

  @Field(() => String, { nullable: true, description: "Field separator: ',' (default), ';' or a tab." })
  delimiter?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Values use a decimal comma (0,25).' })
  decimalComma?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'ISO (default), EPOCH_S, EPOCH_MS, or a pattern such as dd/MM/yyyy HH:mm[:ss] (Luxon tokens; [...] optional).',
  })
  timestampFormat?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA zone of times without offset (default BILLING_TZ).' })
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'kWh (default), Wh or MWh.' })
  unit?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Interval of every meter in the file: 5, 15, 30 or 60 (default: inferred per meter).',
  })
  intervalMinutes?: number | null;

  @Field(() => TimestampMarks, {
    nullable: true,
    description: 'START (default) or END of the interval; END needs intervalMinutes.',
  })
  timestampMarks?: TimestampMarks | null;

  @Field(() => FilterInput, { nullable: true })
  filter?: FilterInput | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A status or quality column whose marks are kept with each reading (LP: Status and TOU: Quality by default).',
  })
  qualityColumn?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Text encoding: utf-8 (default), windows-1252 (what Excel on Windows saves), iso-8859-1 or iso-8859-15.',
  })
  encoding?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "A column naming each row's channel (name or 1-based position): a kind's name, or a value channelKinds maps. " +
      "The base format's own column is 'channel'.",
  })
  channelColumn?: string | null;

  @Field(() => [ChannelKindMappingInput], {
    nullable: true,
    description: "How channelColumn's values map to kinds (E1: IMPORT, B1: EXPORT...).",
  })
  channelKinds?: ChannelKindMappingInput[] | null;

  @Field(() => ChannelKind, {
    nullable: true,
    description: 'The one channel of a file that names none (IMPORT by default), such as a WIDE sheet of exports.',
  })
  channel?: ChannelKind | null;
}

@ObjectType('AppliedFilter')
export class AppliedFilterType {
  @Field(() => String)
  column!: string;

  @Field(() => String)
  value!: string;
}

@ObjectType('AppliedFormat', { description: 'The format a file was read with.' })
export class AppliedFormatType {
  @Field(() => ReadingsDialect)
  dialect!: ReadingsDialect;

  @Field(() => Boolean, { description: 'Whether the dialect was detected from the header (false: forced).' })
  detected!: boolean;

  @Field(() => String)
  meterColumn!: string;

  @Field(() => String)
  timestampColumn!: string;

  @Field(() => String)
  valueColumn!: string;

  @Field(() => String)
  delimiter!: string;

  @Field(() => Boolean)
  decimalComma!: boolean;

  @Field(() => String)
  timestampFormat!: string;

  @Field(() => String)
  timeZone!: string;

  @Field(() => String, { description: 'kWh, Wh, MWh, or column:<name> when each row names its unit.' })
  unit!: string;

  @Field(() => Int, { nullable: true, description: 'Declared interval; null: inferred per meter.' })
  intervalMinutes!: number | null;

  @Field(() => TimestampMarks)
  timestampMarks!: TimestampMarks;

  @Field(() => AppliedFilterType, { nullable: true })
  filter!: AppliedFilterType | null;

  @Field(() => String, { nullable: true, description: 'The column whose marks are kept with each reading.' })
  qualityColumn!: string | null;

  @Field(() => String, { description: 'The text encoding the file was read in.' })
  encoding!: string;

  @Field(() => String, {
    description:
      "Where each reading's channel came from: column:<name>, series:<name> (an export's energy series), NEM12 " +
      '(its 200 records), or the one channel of the file (IMPORT, EXPORT...).',
  })
  channel!: string;
}

@ObjectType('QualityMark', { description: "How many accepted readings carry one of the export's status marks." })
export class QualityMarkType {
  @Field(() => String)
  mark!: string;

  @Field(() => Int)
  readings!: number;
}

@ObjectType('MeterIntervals', { description: 'How many meters of an upload have an interval, and how it was found.' })
export class MeterIntervalsType {
  @Field(() => Int)
  minutes!: number;

  @Field(() => IntervalSource)
  how!: IntervalSource;

  @Field(() => Int)
  meters!: number;
}
