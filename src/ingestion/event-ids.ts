import { nameBasedUuid } from '../common/name-based-uuid';

/** The id of the n-th event of an upload: a retried append carries the same ids and so is stored once. */
export function uploadEventId(uploadId: string, index: number): string {
  return nameBasedUuid(`${uploadId}/${index}`);
}
