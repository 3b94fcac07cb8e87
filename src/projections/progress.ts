import type { EventStore } from '../ports/event-store';
import type { ProjectionCheckpoints } from '../ports/projection-state';

/** How far one projection is behind the log. */
export interface ProjectionLag {
  name: string;
  /** Seconds since the oldest event the projection has not handled yet was appended; 0 when caught up. */
  lagSeconds: number;
}

/**
 * How far behind each projection is, from its stored checkpoint: the age of the first event after it.
 * Reads one event per projection, so it is cheap enough for every metrics scrape, in any role.
 */
export async function projectionProgress(
  eventStore: EventStore,
  checkpoints: ProjectionCheckpoints,
  names: readonly string[],
  streamPrefixes: readonly string[],
  now: number,
): Promise<ProjectionLag[]> {
  const progress: ProjectionLag[] = [];
  for (const name of names) {
    const checkpoint = await checkpoints.get(name);
    let lagSeconds = 0;
    for await (const next of eventStore.readAll({
      ...(checkpoint === null ? {} : { after: checkpoint }),
      maxCount: 1,
      streamPrefixes,
    })) {
      lagSeconds = Math.max(0, (now - next.created.getTime()) / 1000);
    }
    progress.push({ name, lagSeconds });
  }
  return progress;
}
