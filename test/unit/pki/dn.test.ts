import { describe, expect, it } from 'vitest';
import { decodeDn, encodeDn } from '../../../pki/dn-der.ts';
import { parseDnAsCertStrToName } from '../../../pki/dn-certstrtoname.ts';
import { dnGet, formatDn, parseDn, type Dn, type DnValueForm } from '../../../pki/dn.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { makeTempDir, openssl } from './openssl.ts';

/** Attributes in RFC 4514 string order as [shortName, value] pairs. */
function pairs(dn: Dn): string[][] {
  return [...dn.rdns].reverse().map((rdn) => rdn.map((a) => `${a.shortName}=${a.value}`));
}

function attr(text: string, i = 0): NonNullable<Dn['rdns'][number][number]> {
  const dn = parseDn(text);
  const a = [...dn.rdns].reverse()[i]?.[0];
  if (!a) throw new Error('no attribute');
  return a;
}

describe('parseDn: values and how they were written', () => {
  it.each<[string, string, DnValueForm, string[]]>([
    ['CN=Alice', 'Alice', 'plain', []],
    ['CN=Test\\, LLC', 'Test, LLC', 'escaped', [',']],
    ['CN=a\\+b\\;c\\=d', 'a+b;c=d', 'escaped', ['+', ';', '=']],
    ['CN=\\"q\\" \\\\ \\<x\\>', '"q" \\ <x>', 'escaped', ['"', '"', '\\', '<', '>']],
    ['CN=\\#hash', '#hash', 'escaped', ['#']],
    ['CN=\\ lead', ' lead', 'escaped', [' ']],
    ['CN=trail\\ ', 'trail ', 'escaped', [' ']],
    ['CN=\\2C', ',', 'escaped', [',']],
    ['CN=Caf\\C3\\A9', 'Café', 'escaped', ['é']],
    ['CN=\\E2\\82\\AC 5', '€ 5', 'escaped', ['€']],
    ['CN=Café', 'Café', 'plain', []],
    ['CN=a=b#c', 'a=b#c', 'plain', []],
    ['CN="Test user (TestCompany, LLC)"', 'Test user (TestCompany, LLC)', 'quoted', []],
    ['CN="a;b+c=d"', 'a;b+c=d', 'quoted', []],
    ['CN="say ""hi"""', 'say "hi"', 'quoted', []],
    ['CN="x\\"y"', 'x"y', 'quoted', ['"']],
    ['CN=#0C03616263', 'abc', 'hex', []],
    ['CN=#130141', 'A', 'hex', []],
    ['1.2.3.4=#04020102', '#04020102', 'hex', []],
    ['CN=', '', 'plain', []],
  ])('%s → %j (%s)', (text, value, form, escaped) => {
    const a = attr(text);
    expect(a.value).toBe(value);
    expect(a.form).toBe(form);
    expect(a.escaped).toEqual(escaped);
  });

  it('keeps escaped and quoted apart for the same value (docs/formats.md §5.2)', () => {
    const escaped = attr('CN=Test user (TestCompany\\, LLC)');
    const quoted = attr('CN="Test user (TestCompany, LLC)"');
    expect(escaped.value).toBe(quoted.value);
    expect([escaped.form, quoted.form]).toEqual(['escaped', 'quoted']);
    expect(escaped.raw).toBe('Test user (TestCompany\\, LLC)');
    expect(quoted.raw).toBe('"Test user (TestCompany, LLC)"');
  });

  it('keeps the BER of a # value', () => {
    expect(Buffer.from(attr('CN=#0C03616263').ber ?? []).toString('hex')).toBe('0c03616263');
  });
});

describe('parseDn: structure and attribute types', () => {
  it.each([
    ['CN=Alice,O=Contoso,C=US', [['CN=Alice'], ['O=Contoso'], ['C=US']]],
    ['CN=Alice, O=Contoso ;C=US', [['CN=Alice'], ['O=Contoso'], ['C=US']]],
    ['CN = Alice', [['CN=Alice']]],
    ['OU=Sales+CN=J. Smith,DC=example,DC=net', [['OU=Sales', 'CN=J. Smith'], ['DC=example'], ['DC=net']]],
    ['cn=x,e=a@b.c,emailAddress=d@e.f', [['CN=x'], ['E=a@b.c'], ['E=d@e.f']]],
    [
      'SERIALNUMBER=123,title=Dr,GN=Ada,SN=Lovelace,STREET=1 Main,ST=WA,S=OR,L=Redmond,UID=ada',
      [
        ['SERIALNUMBER=123'],
        ['title=Dr'],
        ['GN=Ada'],
        ['SN=Lovelace'],
        ['STREET=1 Main'],
        ['ST=WA'],
        ['ST=OR'],
        ['L=Redmond'],
        ['UID=ada'],
      ],
    ],
    ['2.5.4.3=x,OID.2.5.4.10=y,1.2.3.4=z', [['CN=x'], ['O=y'], ['1.2.3.4=z']]],
    ['CN=Alice   ,O=Contoso', [['CN=Alice'], ['O=Contoso']]],
    ['', []],
  ])('%j', (text, expected) => {
    expect(pairs(parseDn(text))).toEqual(expected);
  });

  it('stores RDNs in ASN.1 order (reverse of the string) and dnGet finds the CN', () => {
    const dn = parseDn('CN=Alice,O=Contoso,C=US');
    expect(dn.rdns[0]?.[0]?.shortName).toBe('C');
    expect(dnGet(dn, 'CN')).toBe('Alice');
    expect(dnGet(dn, '2.5.4.10')).toBe('Contoso');
    expect(dnGet(dn, 'OU')).toBeUndefined();
  });

  it('keeps the type as written', () => {
    expect(attr('emailAddress=a@b.c').typeText).toBe('emailAddress');
    expect(attr('emailAddress=a@b.c').shortName).toBe('E');
  });
});

describe('parseDn: syntax errors carry the offset', () => {
  it.each([
    ['CN=a,', 4],
    ['CN', 2],
    ['=x', 0],
    ['XX=1', 0],
    ['CN=a<b', 4],
    ['CN=a"b', 4],
    ['CN=a\\', 4],
    ['CN=a\\x', 4],
    ['CN=\\C3', 3],
    ['CN=#0C0', 3],
    ['CN=#0C0561', 3],
    ['CN="abc', 3],
    ['CN="abc"x', 8],
    ['1.2..3=x', 0],
    ['CN=a,,O=b', 5],
  ])('%j fails at offset %i', (text, offset) => {
    let err: unknown;
    try {
      parseDn(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CertfleetError);
    expect((err as CertfleetError).code).toBe('DN_SYNTAX');
    expect((err as CertfleetError).details['offset']).toBe(offset);
    expect((err as CertfleetError).message).toContain(`offset ${offset}`);
  });
});

describe('formatDn: canonical RFC 4514', () => {
  it.each([
    ['CN=Alice,O=Contoso,C=US', 'CN=Alice,O=Contoso,C=US'],
    ['cn=Alice, o=Contoso', 'CN=Alice,O=Contoso'],
    ['CN="Test, LLC"', 'CN=Test\\, LLC'],
    ['CN=\\2C\\3B', 'CN=\\,\\;'],
    ['CN=" lead and trail "', 'CN=\\ lead and trail\\ '],
    ['CN=\\#x', 'CN=\\#x'],
    ['CN=a\\<\\>\\"\\\\', 'CN=a\\<\\>\\"\\\\'],
    ['OU=Sales+CN=J. Smith,DC=net', 'OU=Sales+CN=J. Smith,DC=net'],
    ['1.2.3.4=#04020102', '1.2.3.4=#04020102'],
    ['CN=Caf\\C3\\A9', 'CN=Café'],
    ['emailAddress=a@b.c', 'E=a@b.c'],
  ])('%j → %j', (text, expected) => {
    expect(formatDn(parseDn(text))).toBe(expected);
  });

  it.each([
    'CN=Alice,O=Contoso,C=US',
    'CN=Test\\, LLC',
    'CN=\\ x\\ ',
    'OU=a+CN=b,DC=c',
    'CN=a\\+b\\;c=d',
    'CN=Café €',
    '1.2.3.4=#04020102',
    'CN=\\#x',
  ])('formatDn(parseDn(%j)) is stable', (text) => {
    const once = formatDn(parseDn(text));
    expect(formatDn(parseDn(once))).toBe(once);
    expect(pairs(parseDn(once))).toEqual(pairs(parseDn(text)));
  });
});

describe('encodeDn / decodeDn', () => {
  it.each([
    'CN=Alice,O=Contoso,C=US',
    'CN=Test\\, LLC,OU=a+OU=b',
    'CN=Café €,E=a@b.c,DC=contoso,DC=com',
    'SERIALNUMBER=ABC123,CN=x',
    '1.2.3.4=#04020102,CN=y',
    'CN=#0C03616263',
    '',
  ])('decodeDn(encodeDn(parseDn(%j))) keeps types and values, and re-encodes to the same bytes', (text) => {
    const dn = parseDn(text);
    const der = encodeDn(dn);
    const back = decodeDn(der);
    expect(pairs(back)).toEqual(pairs(dn));
    expect(Buffer.from(encodeDn(back)).equals(Buffer.from(der))).toBe(true);
  });

  it('uses PrintableString for C and SERIALNUMBER, IA5String for E and DC, UTF8String otherwise', () => {
    const back = decodeDn(encodeDn(parseDn('CN=x,SERIALNUMBER=1,C=US,E=a@b.c,DC=com')));
    const types = Object.fromEntries(back.rdns.flat().map((a) => [a.shortName, a.stringType]));
    expect(types).toEqual({ CN: 'utf8', SERIALNUMBER: 'printable', C: 'printable', E: 'ia5', DC: 'ia5' });
  });

  it.each(['C=Österreich', 'E=jörg@example.com', 'SERIALNUMBER=a_b'])('refuses %j with DN_SYNTAX', (text) => {
    expect(() => encodeDn(parseDn(text))).toThrow(expect.objectContaining({ code: 'DN_SYNTAX' }));
  });

  it('sorts a multi-valued RDN into DER SET order', () => {
    const a = encodeDn(parseDn('OU=Sales+CN=J'));
    const b = encodeDn(parseDn('CN=J+OU=Sales'));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it.each([
    ['not a SEQUENCE', Uint8Array.of(0x31, 0x00)],
    ['truncated', Uint8Array.of(0x30, 0x05, 0x31, 0x03)],
    ['trailing bytes', Uint8Array.of(0x30, 0x00, 0x00)],
    ['an RDN that is not a SET', Uint8Array.of(0x30, 0x02, 0x30, 0x00)],
  ])('decodeDn rejects %s with DN_SYNTAX', (_what, der) => {
    expect(() => decodeDn(der)).toThrow(expect.objectContaining({ code: 'DN_SYNTAX' }));
  });

  it('OpenSSL reads the DER name we write (UTF-8, multi-valued, escapes)', () => {
    const dir = makeTempDir();
    try {
      const path = dir.file('name.der', encodeDn(parseDn('CN=Test\\, LLC+OU=Caf\\C3\\A9,O=Contoso,C=US')));
      const r = openssl(['asn1parse', '-inform', 'DER', '-in', path]);
      expect(r.status).toBe(0);
      expect(r.output).toMatch(/PRINTABLESTRING\s+:US/);
      expect(r.output).toMatch(/UTF8STRING\s+:Test, LLC/);
      expect(r.output).toMatch(/organizationalUnitName/);
    } finally {
      dir.remove();
    }
  });
});

describe('parseDnAsCertStrToName (inferred model of Windows CertStrToName)', () => {
  it.each([
    ['CN="Test user (TestCompany, LLC)",O=Contoso', [['CN=Test user (TestCompany, LLC)'], ['O=Contoso']]],
    ['CN=a\\=b', [['CN=a\\=b']]],
    ['CN=x ; O=y', [['CN=x'], ['O=y']]],
    ['CN="say ""hi"""', [['CN=say "hi"']]],
    ['OU=a+CN=b,E=x@y.z', [['OU=a', 'CN=b'], ['E=x@y.z']]],
    ['OID.2.5.4.3=z', [['CN=z']]],
  ])('%j reads as %j', (text, expected) => {
    expect(pairs(parseDnAsCertStrToName(text))).toEqual(expected);
  });

  it.each([
    ['CN=Test\\, LLC', 'LLC', 10, [['CN=Test\\']]],
    ['CN=a\\+b', 'b', 6, []],
    ['CN=x\\;y,O=z', 'y', 6, [['CN=x\\']]],
  ])('%j fails at the broken part %j (offset %i)', (text, part, offset, before) => {
    let err: CertfleetError | undefined;
    try {
      parseDnAsCertStrToName(text);
    } catch (e) {
      err = e as CertfleetError;
    }
    expect(err?.code).toBe('DN_SYNTAX');
    expect(err?.details['part']).toBe(part);
    expect(err?.details['offset']).toBe(offset);
    expect(pairs({ rdns: err?.details['rdnsBefore'] as Dn['rdns'] })).toEqual(before);
  });

  it('parseDn and the CertStrToName model agree on a quoted value, and disagree on an escaped one', () => {
    const quoted = 'CN="Test user (TestCompany, LLC)",O=Contoso';
    expect(pairs(parseDnAsCertStrToName(quoted))).toEqual(pairs(parseDn(quoted)));
    const escaped = 'CN=Test user (TestCompany\\, LLC),O=Contoso';
    expect(pairs(parseDn(escaped))).toEqual(pairs(parseDn(quoted)));
    expect(() => parseDnAsCertStrToName(escaped)).toThrow(CertfleetError);
  });
});
