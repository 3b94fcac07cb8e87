import { GraphQLScalarType } from 'graphql';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { uploadFailure } from '../ingestion/spool';

/**
 * graphql-upload-minimal's `Upload` scalar, with one difference: when the request's file part cannot be
 * read (a malformed part header, a body cut short), the file's promise fails with `UploadReadError`, the
 * caller's mistake (BAD_USER_INPUT), instead of the parser's bare error. type-graphql awaits the promise
 * before the resolver runs, so this is the one place that sees it fail. Over the size limit stays 413.
 */
export const UploadScalar = new GraphQLScalarType({
  name: GraphQLUpload.name,
  description: GraphQLUpload.description,
  parseValue(value: unknown): Promise<FileUpload> {
    const file = GraphQLUpload.parseValue(value) as Promise<FileUpload>;
    const guarded = file.catch((error: unknown) => {
      throw uploadFailure(error);
    });
    guarded.catch(() => undefined); // a resolver that never runs (a refused caller) leaves no unhandled rejection
    return guarded;
  },
  parseLiteral: GraphQLUpload.parseLiteral,
  serialize: GraphQLUpload.serialize,
});
