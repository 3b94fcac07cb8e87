import {
  type AccountDoc,
  assignMeter,
  evolveAccount,
  evolveAssignments,
  openAccount,
  validateTariff,
} from '../../src/domain/accounts/account';
import { AccountRuleError } from '../../src/domain/accounts/rule-error';
import { divideRounded, formatCents, normalizeDecimal, parseMicro } from '../../src/domain/accounts/decimal';
import { draftInvoice, type DraftSources } from '../../src/domain/accounts/draft-invoice';
import type { MeterAssignmentEvent } from '../../src/domain/accounts/events';
import { activeKey, planCorrection, planIssue } from '../../src/domain/accounts/issuing';
import type { DailyUsageDoc } from '../../src/domain/billing/daily-usage';
import { evolveAccountMeters, evolveIssued } from '../../src/projections/accounts/projection';
import { dailyKwh, renderInvoice, usageChart } from '../../src/http/invoice-document';
import { projectionSpec } from '../support/projection-spec';

const dynamic = { kind: 'DYNAMIC' as const, factor: '1.1', marginEurMwh: '12.5', standingChargePerDay: '0.45' };

function account(overrides: Partial<AccountDoc> = {}): AccountDoc {
  const opened = openAccount(
    null,
    { id: 'ACC-1', name: 'Acme', vatRate: '0.20', tariff: dynamic },
    '2026-09-01T00:00:00Z',
  );
  return { ...evolveAccount(null, opened, 0)!, ...overrides };
}

function day(meter: string, date: string, kwhMicro: number, costFemto: bigint, priced = 96): DailyUsageDoc {
  return {
    meter,
    date,
    totalKwhMicro: kwhMicro,
    minKwhMicro: 0,
    maxKwhMicro: kwhMicro,
    intervals: 96,
    expectedIntervals: 96,
    pricedIntervals: priced,
    pricedKwhMicro: kwhMicro,
    costFemto: String(costFemto),
    qualityMarks: '',
  };
}

function sources(
  dates: string[],
  days: DailyUsageDoc[],
  intervals: DraftSources['intervals'] = () => [],
  exported: DailyUsageDoc[] = [],
): DraftSources {
  const byDate = (rows: DailyUsageDoc[], meter: string) =>
    new Map(rows.filter((d) => d.meter === meter).map((d) => [d.date, d]));
  return {
    dates,
    days: (meter) => byDate(days, meter),
    intervals,
    exportDays: (meter) => byDate(exported, meter),
    // The tests' instants are local times already: UTC.
    localTime: (instant) => {
      const date = new Date(instant);
      return { weekday: date.getUTCDay() || 7, minutes: date.getUTCHours() * 60 + date.getUTCMinutes() };
    },
  };
}

describe('exact decimals', () => {
  it('reads decimal strings exactly and rounds half away from zero', () => {
    expect(parseMicro('0.20')).toBe(200_000n);
    expect(parseMicro('-12.5')).toBe(-12_500_000n);
    expect(parseMicro('1e3')).toBeNull();
    expect(parseMicro('0.1234567')).toBeNull();
    expect(normalizeDecimal(1_500_000n)).toBe('1.5');
    expect(divideRounded(5n, 10n)).toBe(1n);
    expect(divideRounded(-5n, 10n)).toBe(-1n);
    expect(divideRounded(4n, 10n)).toBe(0n);
    expect(formatCents(-5n)).toBe('-0.05');
  });
});

describe('account decisions', () => {
  it('checks tariffs field by field and writes their figures one way', () => {
    expect(validateTariff({ kind: 'DYNAMIC', standingChargePerDay: '0.450' })).toEqual({
      kind: 'DYNAMIC',
      factor: '1',
      marginEurMwh: '0',
      standingChargePerDay: '0.45',
      floorEurMwh: null,
      capEurMwh: null,
    });
    const refused = (input: Parameters<typeof validateTariff>[0]) => {
      try {
        validateTariff(input);
      } catch (error) {
        return (error as AccountRuleError).field;
      }
      return null;
    };
    expect(refused({ kind: 'FIXED', standingChargePerDay: '1' })).toBe('tariff.unitPriceEurMwh');
    expect(refused({ kind: 'DYNAMIC', factor: 'abc', standingChargePerDay: '1' })).toBe('tariff.factor');
    expect(refused({ kind: 'DYNAMIC', floorEurMwh: '50', capEurMwh: '10', standingChargePerDay: '1' })).toBe(
      'tariff.floorEurMwh',
    );
    expect(() => openAccount(account(), { id: 'ACC-1', name: 'x', vatRate: '0.2', tariff: dynamic }, 'now')).toThrow(
      'exists already',
    );
  });

  it('moves a meter between accounts: the open assignment ends the day before, other overlaps are refused', () => {
    const a = account();
    const b = account({ id: 'ACC-2' });
    const first = assignMeter([], a, { accountId: 'ACC-1', meter: 'M1', from: '2026-10-01', to: null });
    const history = first.reduce(evolveAssignments, []);
    const move = assignMeter(history, b, { accountId: 'ACC-2', meter: 'M1', from: '2026-10-15', to: null });
    expect(move).toEqual([
      { type: 'MeterUnassigned', data: { meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', lastDay: '2026-10-14' } },
      { type: 'MeterAssigned', data: { meter: 'M1', accountId: 'ACC-2', from: '2026-10-15', to: null } },
    ]);
    const after = move.reduce(evolveAssignments, history);
    expect(after).toEqual([
      { meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: '2026-10-14' },
      { meter: 'M1', accountId: 'ACC-2', from: '2026-10-15', to: null },
    ]);
    // The same command again changes nothing; one that starts inside a later assignment is refused.
    expect(assignMeter(after, b, { accountId: 'ACC-2', meter: 'M1', from: '2026-10-15', to: null })).toEqual([]);
    expect(() =>
      assignMeter(after, a, { accountId: 'ACC-1', meter: 'M1', from: '2026-10-10', to: '2026-10-20' }),
    ).toThrow('is assigned to account ACC-2 from 2026-10-15');
    // A move-out: the account's own open assignment gets its last day.
    const out = assignMeter(after, b, { accountId: 'ACC-2', meter: 'M1', from: '2026-10-15', to: '2026-11-30' });
    expect(out.reduce(evolveAssignments, after)).toEqual([
      { meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: '2026-10-14' },
      { meter: 'M1', accountId: 'ACC-2', from: '2026-10-15', to: '2026-11-30' },
    ]);
  });

  it('folds assignment events into the account they name, the same when delivered twice', () => {
    const events: MeterAssignmentEvent[] = [
      { type: 'MeterAssigned', data: { meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: null } },
      { type: 'MeterAssigned', data: { meter: 'M0', accountId: 'ACC-1', from: '2026-10-01', to: null } },
      { type: 'MeterAssigned', data: { meter: 'M1', accountId: 'OTHER', from: '2026-10-15', to: null } },
      { type: 'MeterUnassigned', data: { meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', lastDay: '2026-10-14' } },
    ];
    projectionSpec(evolveAccountMeters, account())
      .given(...events)
      .then((doc) =>
        expect(doc.meters).toEqual([
          { meter: 'M0', accountId: 'ACC-1', from: '2026-10-01', to: null },
          { meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: '2026-10-14' },
        ]),
      );
  });
});

describe('draft invoices', () => {
  const dates = ['2026-10-01', '2026-10-02', '2026-10-03'];
  const acc = account({
    meters: [{ meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: null }],
    tariffs: [
      { from: '0000-01-01', tariff: validateTariff(dynamic) },
      {
        from: '2026-10-03',
        tariff: validateTariff({ kind: 'FIXED', unitPriceEurMwh: '200', standingChargePerDay: '0.3' }),
      },
    ],
  });
  // 10 kWh a day; market cost 1.2345 EUR on day 1, -0.5 EUR on day 2 (a negative-price day).
  const days = [
    day('M1', '2026-10-01', 10_000_000, 1_234_500_000_000_000n),
    day('M1', '2026-10-02', 10_000_000, -500_000_000_000_000n),
    day('M1', '2026-10-03', 10_000_000, 0n),
  ];

  it('bills each tariff period on its own lines, each rounded once, VAT once on the sum', () => {
    const draft = draftInvoice(acc, '2026-10', sources(dates, days))!;
    const lines = draft.lines.map((l) => [l.kind, l.quantity, l.unitPrice, formatCents(l.cents)]);
    expect(lines).toEqual([
      // (1.2345 - 0.5) x 1.1 = 0.80795 EUR → 0.81; margin 20 kWh x 12.5/1000 = 0.25; 2 days x 0.45
      ['ENERGY', '20', '0.040398', '0.81'],
      ['MARGIN', '20', '0.012500', '0.25'],
      ['STANDING_CHARGE', '2', '0.45', '0.90'],
      // FIXED: 10 kWh x 200/1000 = 2.00; 1 day x 0.30
      ['ENERGY', '10', '0.200000', '2.00'],
      ['STANDING_CHARGE', '1', '0.3', '0.30'],
    ]);
    expect(formatCents(draft.subtotalCents)).toBe('4.26');
    expect(formatCents(draft.vatCents)).toBe('0.85'); // 4.26 x 0.20 = 0.852
    expect(formatCents(draft.totalCents)).toBe('5.11');
    expect(draft.status).toBe('COMPLETE');
    expect(draft.meters).toEqual([{ meter: 'M1', kwhMicro: 30_000_000n, days: 3 }]);
  });

  it('credits exported energy on one EXPORT line per tariff period: -round(kWh x price / 1000), or market x factor less margin', () => {
    const withExport = account({
      meters: [{ meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: null }],
      tariffs: [
        {
          from: '0000-01-01',
          tariff: validateTariff({ ...dynamic, export: { kind: 'DYNAMIC', factor: '0.9', marginEurMwh: '5' } }),
        },
        {
          from: '2026-10-03',
          tariff: validateTariff({
            kind: 'FIXED',
            unitPriceEurMwh: '200',
            standingChargePerDay: '0.3',
            export: { kind: 'FIXED', unitPriceEurMwh: '73.3' },
          }),
        },
      ],
    });
    // Exported: 4.5 kWh worth 0.3375 EUR at market on day 1, 2 kWh worth -0.01 EUR on day 2, 3.333333 kWh on day 3.
    const exported = [
      day('M1', '2026-10-01', 4_500_000, 337_500_000_000_000n),
      day('M1', '2026-10-02', 2_000_000, -10_000_000_000_000n),
      day('M1', '2026-10-03', 3_333_333, 0n),
    ];
    const draft = draftInvoice(
      withExport,
      '2026-10',
      sources(dates, days, () => [], exported),
    )!;
    const exportLines = draft.lines
      .filter((l) => l.kind === 'EXPORT')
      .map((l) => [l.quantity, l.unitPrice, formatCents(l.cents)]);
    expect(exportLines).toEqual([
      // (0.3375 - 0.01) x 0.9 - 6.5 kWh x 5/1000 = 0.29475 - 0.0325 = 0.26225 → -0.26
      ['6.5', '-0.040346', '-0.26'],
      // 3.333333 kWh x 73.3/1000 = 0.2443333... → -0.24
      ['3.333333', '-0.073300', '-0.24'],
    ]);
    expect(formatCents(draft.subtotalCents)).toBe('3.76'); // 4.26 - 0.26 - 0.24
    // Without an export part in the tariff, nothing is credited.
    expect(
      draftInvoice(
        acc,
        '2026-10',
        sources(dates, days, () => [], exported),
      )!.lines.some((l) => l.kind === 'EXPORT'),
    ).toBe(false);
  });

  it('refuses export terms that cannot apply, naming the field', () => {
    expect(() => validateTariff({ ...dynamic, export: { kind: 'FIXED', factor: '1' } })).toThrow(
      'tariff.export: a FIXED export credit has a unitPriceEurMwh only',
    );
    expect(() => validateTariff({ ...dynamic, export: { kind: 'FIXED', unitPriceEurMwh: '-1' } })).toThrow(
      'tariff.export.unitPriceEurMwh must not be negative',
    );
  });

  it('says what is missing: a day without readings first, then unpriced intervals', () => {
    expect(draftInvoice(acc, '2026-10', sources(dates, days.slice(0, 2)))!.status).toBe('MISSING_READINGS');
    const unpriced = [day('M1', '2026-10-01', 10_000_000, 0n, 90), ...days.slice(1)];
    expect(draftInvoice(acc, '2026-10', sources(dates, unpriced))).toMatchObject({
      status: 'MISSING_PRICES',
      unpricedIntervals: 6,
    });
  });

  it('bounds the unit price interval by interval with a floor and a cap', () => {
    const bounded = account({
      meters: [{ meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: '2026-10-01' }],
      tariffs: [
        {
          from: '0000-01-01',
          tariff: validateTariff({
            kind: 'DYNAMIC',
            factor: '1',
            marginEurMwh: '10',
            standingChargePerDay: '0',
            floorEurMwh: '0',
            capEurMwh: '300',
          }),
        },
      ],
    });
    // 1 kWh at -50 (unit -40, floored to 0: energy pays -10/MWh against the margin), 1 kWh at 100
    // (unit 110), 1 kWh at 500 (unit 510, capped to 300), one interval unpriced.
    const intervals = () => [
      { start: 0, kwhMicro: 1_000_000, priceMicro: -50_000_000 },
      { start: 900_000, kwhMicro: 1_000_000, priceMicro: 100_000_000 },
      { start: 1_800_000, kwhMicro: 1_000_000, priceMicro: 500_000_000 },
      { start: 2_700_000, kwhMicro: 1_000_000, priceMicro: null },
    ];
    const draft = draftInvoice(
      bounded,
      '2026-10',
      sources(['2026-10-01'], [day('M1', '2026-10-01', 4_000_000, 0n)], intervals),
    )!;
    // energy: 1 x (0 - 10) + 1 x (110 - 10) + 1 x (300 - 10) = 380 EUR/MWh x kWh / 1000 = 0.38; margin 4 kWh x 0.01
    expect(draft.lines.map((l) => [l.kind, formatCents(l.cents)])).toEqual([
      ['ENERGY', '0.38'],
      ['MARGIN', '0.04'],
    ]);
  });
});

describe('issuing', () => {
  const acc = account({ meters: [{ meter: 'M1', accountId: 'ACC-1', from: '2026-10-01', to: null }] });
  const dates = ['2026-10-01'];
  const draft = draftInvoice(acc, '2026-10', sources(dates, [day('M1', '2026-10-01', 10_000_000, 10n ** 15n)]))!;

  it('numbers complete drafts from the sequence, skips standing and incomplete ones unless forced', () => {
    const incomplete = { ...draft, accountId: 'ACC-2', status: 'MISSING_PRICES' as const };
    const plan = planIssue([draft, incomplete], new Set(), {
      year: 2026,
      nextSequence: 7,
      issuedAt: 't',
      force: false,
      seller: null,
    });
    expect(plan.events.map((e) => e.data.number)).toEqual(['2026-000007']);
    expect(plan.skipped).toEqual([{ accountId: 'ACC-2', month: '2026-10', reason: 'MISSING_PRICES' }]);
    const again = planIssue([draft], new Set([activeKey('ACC-1', '2026-10')]), {
      year: 2026,
      nextSequence: 8,
      issuedAt: 't',
      force: true,
      seller: null,
    });
    expect(again).toEqual({
      events: [],
      skipped: [{ accountId: 'ACC-1', month: '2026-10', reason: 'ALREADY_ISSUED' }],
    });
  });

  it('corrects an invoice with a credit note and a new invoice that differ by exactly the change', () => {
    const [issued] = planIssue([draft], new Set(), {
      year: 2026,
      nextSequence: 1,
      issuedAt: 't',
      force: false,
      seller: null,
    }).events;
    const later = draftInvoice(acc, '2026-10', sources(dates, [day('M1', '2026-10-01', 12_000_000, 2n * 10n ** 15n)]))!;
    const plan = planCorrection(issued!.data, later, { year: 2026, nextSequence: 2, issuedAt: 't2', seller: null })!;
    expect(plan.map((e) => [e.type, e.data.number, e.data.total])).toEqual([
      ['CreditNoteIssued', '2026-000002', `-${issued!.data.total}`],
      ['InvoiceIssued', '2026-000003', formatCents(later.totalCents)],
    ]);
    expect(plan[0].data.credits).toBe('2026-000001');
    expect(plan[1].data.replaces).toBe('2026-000001');
    expect(
      planCorrection(issued!.data, draft, { year: 2026, nextSequence: 2, issuedAt: 't2', seller: null }),
    ).toBeNull();
    // The read model links them, the same when the events come twice.
    const docs = new Map<string, ReturnType<typeof evolveIssued>[number]>();
    for (const round of [1, 2]) {
      for (const [i, event] of [issued!, ...plan].entries()) {
        for (const doc of evolveIssued(event, String(i), (n) => docs.get(n))) docs.set(doc.number, doc);
      }
      expect(docs.get('2026-000001')?.creditedBy).toBe('2026-000002');
      expect(docs.size).toBe(3);
      void round;
    }
  });
});

describe('the invoice page', () => {
  it('escapes every text it shows, and a day without readings is an empty bar', () => {
    const [issued] = planIssue(
      [
        draftInvoice(
          account({
            name: 'Bistro <B&B>',
            meters: [{ meter: 'M<1>', accountId: 'ACC-1', from: '2026-10-01', to: null }],
          }),
          '2026-10',
          sources(['2026-10-01'], [day('M<1>', '2026-10-01', 10_000_000, 10n ** 15n)]),
        )!,
      ],
      new Set(),
      { year: 2026, nextSequence: 1, issuedAt: '2026-11-01T00:00:00Z', force: false, seller: null },
    ).events;
    const doc = { ...issued!.data, kind: 'INVOICE' as const, credits: null, creditedBy: null, position: '1' };
    const html = renderInvoice(
      doc,
      usageChart(
        dailyKwh(
          ['2026-10-01', '2026-10-02'],
          doc.meters.map((m) => ({ meter: m.meter, accountId: 'ACC-1', from: '2026-10-01', to: null })),
          new Map([['M<1>', [day('M<1>', '2026-10-01', 10_000_000, 0n)]]]),
        ),
      ),
      '2026-11-01',
    );
    expect(html).toContain('Bistro &lt;B&amp;B&gt;');
    expect(html).toContain('M&lt;1&gt;');
    expect(html).not.toContain('<B&B>');
    expect(html.match(/<rect /g)).toHaveLength(2);
    expect(html).toContain('height="0.0"'); // the day without readings
  });
});
