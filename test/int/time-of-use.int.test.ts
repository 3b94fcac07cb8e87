import { emptyCounts, generateReadings } from '../../src/tools/readings-generator';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';

/*
 * A FIXED tariff with a weekday peak rate: 08:00-20:00 Monday to Friday at 220 EUR/MWh over a base of 120,
 * on October 2026 in Sofia (the 25-hour day of the 25th). Each meter's two ENERGY lines equal sums made
 * here from the file's rows, each interval placed by its local clock time.
 */
const TZ = 'Europe/Sofia';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ BILLING_TZ: TZ });
});
afterAll(async () => {
  await t.close();
});

/** Local weekday (Mon...) and minutes since local midnight of an instant in Sofia. */
function localOf(instant: number): { weekday: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: TZ,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  return { weekday: parts.weekday!, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const cents = (kwhMicro: number, eurMwh: number): number => Math.round((kwhMicro * eurMwh) / 1e7);
const money = (c: number): string => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

describe('time-of-use rates', () => {
  it('bills each meter on one ENERGY line per rate, each equal to a sum over its intervals by local clock time', async () => {
    const lines = [...generateReadings({ month: '2026-10', meters: 2, seed: 31, timeZone: TZ }, emptyCounts())];
    const receipt = (await uploadFile(t.url, `${lines.join('\n')}\n`, 'readings.csv')) as unknown as {
      data: { uploadReadings: { status: string; position: string } };
    };
    expect(receipt.data.uploadReadings.status).toBe('VALIDATED');
    const setup = await graphql(
      t.url,
      `
        mutation {
          createAccount(
            input: {
              id: "ACC-TOU"
              name: "Peak & Co"
              vatRate: "0.20"
              tariff: {
                kind: FIXED
                unitPriceEurMwh: "120"
                standingChargePerDay: "0"
                rates: [
                  {
                    name: "Peak"
                    days: [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY]
                    from: "08:00"
                    to: "20:00"
                    unitPriceEurMwh: "220"
                  }
                ]
              }
            }
          ) {
            tariffs {
              tariff {
                rates {
                  name
                  days
                  from
                  to
                  unitPriceEurMwh
                }
              }
            }
          }
          a: assignMeter(account: "ACC-TOU", meter: "MP000001", from: "2026-10-01") {
            id
          }
          b: assignMeter(account: "ACC-TOU", meter: "MP000002", from: "2026-10-01") {
            id
          }
        }
      `,
    );
    expect(setup.errors).toBeUndefined();
    const answer = await graphql(
      t.url,
      `
        query ($p: String) {
          draftInvoices(month: "2026-10", accounts: ["ACC-TOU"], atLeast: $p) {
            status
            subtotal
            lines {
              meter
              kind
              quantity
              unitPrice
              amount
            }
          }
        }
      `,
      { p: receipt.data.uploadReadings.position },
    );
    expect(answer.errors).toBeUndefined();
    const [draft] = (
      answer.data as {
        draftInvoices: Array<{ status: string; subtotal: string; lines: Array<Record<string, string>> }>;
      }
    ).draftInvoices;
    expect(draft!.status).toBe('COMPLETE');

    // The reference: every row placed by its start's local weekday and time.
    const sums = new Map<string, { peak: number; other: number }>();
    for (const row of lines.slice(1)) {
      const [meter, timestamp, kwh] = row.split(',') as [string, string, string];
      const { weekday, minutes } = localOf(Date.parse(timestamp));
      const peak = !['Sat', 'Sun'].includes(weekday) && minutes >= 8 * 60 && minutes < 20 * 60;
      const sum = sums.get(meter) ?? { peak: 0, other: 0 };
      sum[peak ? 'peak' : 'other'] += Math.round(Number(kwh) * 1e6);
      sums.set(meter, sum);
    }
    const expected = [...sums]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([meter, sum]) => [
        {
          meter,
          kind: 'ENERGY',
          quantity: String(sum.peak / 1e6),
          unitPrice: '0.220000',
          amount: money(cents(sum.peak, 220)),
        },
        {
          meter,
          kind: 'ENERGY',
          quantity: String(sum.other / 1e6),
          unitPrice: '0.120000',
          amount: money(cents(sum.other, 120)),
        },
      ]);
    expect(draft!.lines).toEqual(expected);
    const subtotal = [...sums.values()].reduce((c, s) => c + cents(s.peak, 220) + cents(s.other, 120), 0);
    expect(draft!.subtotal).toBe(money(subtotal));
  });

  it('refuses rates on a DYNAMIC tariff and a window that is not a clock time, naming the field', async () => {
    for (const [tariff, field] of [
      [
        'kind: DYNAMIC, standingChargePerDay: "0", rates: [{ name: "Peak", from: "08:00", to: "20:00", unitPriceEurMwh: "1" }]',
        'tariff.rates',
      ],
      [
        'kind: FIXED, unitPriceEurMwh: "1", standingChargePerDay: "0", rates: [{ name: "Peak", from: "8:00", to: "20:00", unitPriceEurMwh: "1" }]',
        'tariff.rates[0].from',
      ],
    ] as const) {
      const answer = await graphql(
        t.url,
        `mutation { createAccount(input: { id: "ACC-BAD", name: "x", vatRate: "0.2", tariff: { ${tariff} } }) { id } }`,
      );
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toContain(field);
    }
  });
});
