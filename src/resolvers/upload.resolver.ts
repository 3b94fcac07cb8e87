import { GraphQLError } from 'graphql';
import type { FileUpload } from 'graphql-upload-minimal';
import { UploadScalar } from './upload-scalar';
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from './context';
import { checkFormat, FormatError } from '../domain/readings/format/request';
import { ZonedClock } from '../domain/time/zoned-time';
import { formatRequestFromInput, receiptFromCommand, receiptFromDoc, rejectedRowFromRecord } from './mappers';
import { ReadingsFormatInput } from './types/format.types';
import { connectionOf } from './types/connection';
import { consistentAt, pageSize, PageArgs } from './arguments';
import { RejectedRowConnection, UploadConnection, UploadReceiptType } from './types/upload.types';
import { openUploadedFile } from './uploaded-file';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Resolver()
export class UploadResolver {
  @Authorized('ADMIN')
  @Mutation(() => UploadReceiptType, {
    description:
      'Uploads a CSV of readings and validates every row. The dialect (base metering_point_id,timestamp,kwh; LP/TOU ' +
      'meter exports; WIDE half-hourly sheets) is detected from the header; `format` maps any other layout. Returns ' +
      'when done; pass your own uploadId (a UUID) to follow progress with the fileValidation subscription meanwhile.',
  })
  async uploadReadings(
    @Arg('file', () => UploadScalar) file: FileUpload,
    @Arg('uploadId', () => ID, { nullable: true }) uploadId: string | null | undefined,
    @Arg('format', () => ReadingsFormatInput, { nullable: true }) formatInput: ReadingsFormatInput | null | undefined,
    @Ctx() { services, principal }: GraphQLContext,
  ): Promise<UploadReceiptType> {
    if (uploadId != null && !UUID.test(uploadId)) {
      throw new GraphQLError(`uploadId '${uploadId}' must be a UUID`, {
        extensions: { code: 'BAD_USER_INPUT', argumentName: 'uploadId' },
      });
    }
    const format = formatInput == null ? undefined : formatRequestFromInput(formatInput);
    try {
      if (format !== undefined) checkFormat(format, (zone) => ZonedClock.isValidTimeZone(zone));
      const upload = await openUploadedFile(file);
      // The service checks the format against the file's header and first rows before recording anything.
      const receipt = await services.uploads.uploadReadings({
        fileName: upload.filename,
        content: upload.content,
        uploadedBy: principal,
        ...(uploadId == null ? {} : { uploadId: uploadId.toLowerCase() }),
        ...(format === undefined ? {} : { format }),
      });
      return receiptFromCommand(receipt);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      throw new GraphQLError(`format.${error.field}: ${error.message}`, {
        extensions: { code: 'BAD_USER_INPUT', argumentName: 'format', field: error.field },
      });
    }
  }

  @Authorized()
  @Query(() => UploadReceiptType, { nullable: true })
  async upload(
    @Arg('id', () => ID) id: string,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<UploadReceiptType | null> {
    await consistentAt(context, atLeast);
    const { services } = context;
    const doc = await services.uploadQueries.getUpload(id);
    return doc === null ? null : receiptFromDoc(doc);
  }

  @Authorized()
  @Query(() => UploadConnection, { description: 'Uploads, newest first.' })
  async uploads(
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<UploadConnection> {
    await consistentAt(context, atLeast);
    const { services } = context;
    const page = await services.uploadQueries.listUploads(pageSize(first), after ?? null);
    return connectionOf(page, receiptFromDoc);
  }

  @Authorized()
  @Query(() => RejectedRowConnection, { description: 'Rejected rows of an upload in line order, with their reasons.' })
  async rejectedRows(
    @Arg('uploadId', () => ID) uploadId: string,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<RejectedRowConnection> {
    await consistentAt(context, atLeast);
    const { services } = context;
    const page = await services.uploadQueries.listRejectedRows(uploadId, pageSize(first), after ?? null);
    return connectionOf(page, rejectedRowFromRecord);
  }
}
