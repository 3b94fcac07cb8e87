/** GraphQL reads the readings tests share: a meter's days (of a kind or a channel) and an upload's rejected rows. */
import { graphql } from './test-server';

export interface DayFigures {
  date: string;
  totalKwh: number;
  intervals: number;
  expectedIntervals: number;
  complete: boolean;
  unit: string;
}

/** A meter's days from `from` to `to`, of its billed import, or of a kind (all its channels) or one channel. */
export async function dailyUsageOf(
  url: string,
  args: { meter: string; from: string; to: string; position?: string; kind?: string; channel?: string | null },
): Promise<DayFigures[]> {
  const answer = await graphql(
    url,
    `
      query ($m: ID!, $f: String!, $t: String!, $p: String, $k: ChannelKind!, $c: String) {
        dailyUsage(meter: $m, from: $f, to: $t, atLeast: $p, kind: $k, channel: $c) {
          date
          totalKwh
          intervals
          expectedIntervals
          complete
          unit
        }
      }
    `,
    {
      m: args.meter,
      f: args.from,
      t: args.to,
      p: args.position ?? null,
      k: args.kind ?? 'IMPORT',
      c: args.channel ?? null,
    },
  );
  if (answer.errors !== undefined) throw new Error(JSON.stringify(answer.errors));
  return (answer.data as { dailyUsage: DayFigures[] }).dailyUsage;
}

export interface RejectedRowFigures {
  line: number;
  raw: string;
  reasons: Array<{ code: string; field: string | null; message: string }>;
}

/** The first `first` rejected rows of an upload, once the read models reached `position`. */
export async function rejectedRowsOf(
  url: string,
  uploadId: string,
  position: string,
  first = 50,
): Promise<RejectedRowFigures[]> {
  const answer = await graphql(
    url,
    `
      query ($u: ID!, $p: String, $n: Int) {
        rejectedRows(uploadId: $u, first: $n, atLeast: $p) {
          edges {
            node {
              line
              raw
              reasons {
                code
                field
                message
              }
            }
          }
        }
      }
    `,
    { u: uploadId, p: position, n: first },
  );
  if (answer.errors !== undefined) throw new Error(JSON.stringify(answer.errors));
  return (answer.data as { rejectedRows: { edges: Array<{ node: RejectedRowFigures }> } }).rejectedRows.edges.map(
    (edge) => edge.node,
  );
}
