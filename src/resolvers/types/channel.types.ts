import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ChannelKind {
  IMPORT = 'IMPORT',
  EXPORT = 'EXPORT',
  REACTIVE_IMPORT = 'REACTIVE_IMPORT',
  REACTIVE_EXPORT = 'REACTIVE_EXPORT',
}
registerEnumType(ChannelKind, {
  name: 'ChannelKind',
  description:
    'What a channel records: energy the customer consumes (IMPORT) or exports (EXPORT), in kWh; reactive energy ' +
    'consumed (REACTIVE_IMPORT) or exported (REACTIVE_EXPORT), in kvarh.',
});

@InputType('ChannelKindMapping', { description: "A value of a file's channel column and the kind it records." })
export class ChannelKindMappingInput {
  @Field(() => String, { description: 'The value as the file writes it; it becomes the channel id.' })
  value!: string;

  @Field(() => ChannelKind)
  kind!: ChannelKind;
}

@ObjectType('UploadChannel', { description: "A channel of an upload's accepted readings." })
export class UploadChannelType {
  @Field(() => String, { description: 'The channel as the file names it (E1, B1, Export Wh Total, or the kind).' })
  channel!: string;

  @Field(() => ChannelKind)
  kind!: ChannelKind;

  @Field(() => String, { description: 'kWh, or kvarh for reactive kinds.' })
  unit!: string;

  @Field(() => Int)
  meters!: number;

  @Field(() => Int)
  readings!: number;
}
