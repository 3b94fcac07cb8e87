/** The fixes named in rejection reasons, and the UTF-8 check that finds a file's first bad byte. */
import { decimalCommaHint, splitDecimalCommaHint, timestampFormatHint } from '../../src/domain/readings/hints';
import { encodingOf } from '../../src/domain/readings/format/request';
import { firstInvalidUtf8 } from '../../src/ingestion/spool';

describe('hints', () => {
  it('names decimalComma for a value written with a decimal comma, and nothing for other bad values', () => {
    expect(decimalCommaHint('0,25')).toContain('format: { decimalComma: true }');
    expect(decimalCommaHint('12,5')).not.toBe('');
    expect(decimalCommaHint('abc')).toBe('');
    expect(decimalCommaHint('1.5e3')).toBe('');
  });

  it('names the semicolon and decimalComma when a decimal comma split a comma-separated row', () => {
    expect(splitDecimalCommaHint(['MP1', '2026-10-01T00:15:00Z', '0', '25'], 3)).toContain("'0,25'");
    expect(splitDecimalCommaHint(['MP1', '2026-10-01T00:15:00Z', '0.25', 'x'], 3)).toBe('');
    expect(splitDecimalCommaHint(['MP1', '2026-10-01T00:15:00Z', '0'], 3)).toBe('');
  });

  it.each([
    ['01.10.2026 00:15', 'dd.MM.yyyy HH:mm[:ss]'],
    ['01.10.2026 00:15:00', 'dd.MM.yyyy HH:mm[:ss]'],
    ['1.10.2026 0:15', 'd.M.yyyy H:mm[:ss]'],
    ['13/10/2026 00:15', 'dd/MM/yyyy HH:mm[:ss]'],
    ['10/13/2026 00:15', 'MM/dd/yyyy HH:mm[:ss]'],
    ['2026/10/01 00:15', 'yyyy/MM/dd HH:mm[:ss]'],
    ['202610010015', 'yyyyMMddHHmm[ss]'],
  ])('names the timestampFormat that reads %s', (text, pattern) => {
    expect(timestampFormatHint(text)).toContain(`timestampFormat: "${pattern}"`);
  });

  it('names both orders when the day of a slashed date could be its month', () => {
    expect(timestampFormatHint('01/10/2026 00:15')).toMatch(
      /"dd\/MM\/yyyy HH:mm\[:ss\]".*or "MM\/dd\/yyyy HH:mm\[:ss\]"/,
    );
    expect(timestampFormatHint('13/10/2026 00:15')).not.toContain('MM/dd');
  });

  it('says nothing for text no common pattern reads', () => {
    expect(timestampFormatHint('yesterday')).toBe('');
    expect(timestampFormatHint('2026-13-45T00:00:00Z')).toBe('');
  });

  it('knows the encodings by name and alias, any case', () => {
    expect(encodingOf('Windows-1252')).toBe('windows-1252');
    expect(encodingOf('cp1252')).toBe('windows-1252');
    expect(encodingOf('latin1')).toBe('iso-8859-1');
    expect(encodingOf('UTF8')).toBe('utf-8');
    expect(encodingOf('ebcdic')).toBeNull();
  });
});

describe('firstInvalidUtf8', () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);

  it('finds the first byte of a Windows-1252 letter', () => {
    expect(firstInvalidUtf8(Buffer.from('ab\nZ\u00fcrich', 'latin1'))).toBe(4);
  });

  it('accepts well-formed UTF-8 of every length', () => {
    expect(firstInvalidUtf8(Buffer.from('a é € 𝄞', 'utf8'))).toBe(-1);
  });

  it('refuses overlong forms, surrogates and code points past U+10FFFF', () => {
    expect(firstInvalidUtf8(bytes(0x41, 0xc0, 0xaf))).toBe(1);
    expect(firstInvalidUtf8(bytes(0xe0, 0x80, 0xaf))).toBe(0);
    expect(firstInvalidUtf8(bytes(0xed, 0xa0, 0x80))).toBe(0);
    expect(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0);
    expect(firstInvalidUtf8(bytes(0xf5, 0x80, 0x80, 0x80))).toBe(0);
  });

  it('counts a character cut by the end as bad unless the buffer is only a head of the file', () => {
    const cut = Buffer.from('ab€', 'utf8').subarray(0, 4);
    expect(firstInvalidUtf8(cut)).toBe(2);
    expect(firstInvalidUtf8(cut, true)).toBe(-1);
  });
});
