import { Arg, Authorized, ID, Resolver, Root, Subscription } from 'type-graphql';
import { watchUploadValidation } from '../projections/upload-status/watch';
import type { UploadStatusDoc } from '../domain/readings/upload-status';
import type { GraphQLContext } from './context';
import { validationUpdateFromDoc } from './mappers';
import { FileValidationUpdateType } from './types/upload.types';

@Resolver()
export class FileValidationResolver {
  @Authorized()
  @Subscription(() => FileValidationUpdateType, {
    description:
      'Progress of an upload while its rows are validated, then the final result. ' +
      'Subscribing after the upload finished gives the final result at once.',
    subscribe: ({ args, context }) => {
      const { services } = context as GraphQLContext;
      return watchUploadValidation(services.eventStore, (args as { uploadId: string }).uploadId, {
        startTimeoutMs: services.uploadWatchStartMs,
      });
    },
  })
  fileValidation(@Arg('uploadId', () => ID) _uploadId: string, @Root() doc: UploadStatusDoc): FileValidationUpdateType {
    return validationUpdateFromDoc(doc);
  }
}
