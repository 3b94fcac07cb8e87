import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import { uploadFailure } from '../ingestion/spool';

/**
 * The file of a multipart request, opened once. `createReadStream` throws when the parser failed on the
 * file part after handing it over (over the size limit: 413, PAYLOAD_TOO_LARGE; anything else the
 * caller's malformed request, BAD_USER_INPUT), like a failed promise of the `Upload` scalar.
 */
export async function openUploadedFile(
  file: FileUpload | Promise<FileUpload>,
): Promise<{ filename: string; content: Readable }> {
  const upload = await file;
  try {
    return { filename: upload.filename, content: upload.createReadStream() };
  } catch (error) {
    throw uploadFailure(error);
  }
}
