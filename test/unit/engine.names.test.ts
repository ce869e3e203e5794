import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasUmlauts, parseName, toAsciiToken, umlautStyleIn, NAME_WEIGHTS } from '../../core/engine/names.ts';
import { prefersUmlautExpansion } from '../../core/engine/engine.ts';
import type { NameInput, ParsedName } from '../../core/engine/names.ts';

function parsed(input: NameInput | string, options = {}): ParsedName {
  const r = parseName(input, options);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(input)} to parse, got: ${r.reason}`);
  return r.name;
}

const values = (vs: { value: string }[]): string[] => vs.map((v) => v.value);
const weightOf = (vs: { value: string; weight: number }[], value: string): number | undefined =>
  vs.find((v) => v.value === value)?.weight;

describe('parseName', () => {
  // input → canonical first, canonical last, other spellings that must be present, middle initial
  const table: {
    input: NameInput | string;
    first?: string;
    last?: string;
    firsts?: string[];
    lasts?: string[];
    middleInitial?: string;
  }[] = [
    { input: 'Jane Doe', first: 'jane', last: 'doe' },
    { input: 'JANE DOE', first: 'jane', last: 'doe' },
    { input: { first: 'Jane', last: 'Doe' }, first: 'jane', last: 'doe' },
    // transliteration
    { input: 'José Álvarez', first: 'jose', last: 'alvarez' },
    { input: 'Øystein Ødegaard', first: 'oystein', last: 'odegaard', firsts: ['oeystein'], lasts: ['oedegaard'] },
    { input: 'Łukasz Wąsowski', first: 'lukasz', last: 'wasowski' },
    { input: { first: 'Peter', last: 'Straße' }, first: 'peter', last: 'strasse' },
    { input: 'Þór Guðmundsson', first: 'thor', last: 'gudmundsson' },
    { input: 'Дмитрий Иванов', first: 'dmitriy', last: 'ivanov' },
    { input: 'Ｊａｎｅ Ｄｏｅ', first: 'jane', last: 'doe' },
    { input: 'Jose\u0301 Garci\u0301a', first: 'jose', last: 'garcia' }, // decomposed accents (NFD)
    // German umlauts: both spellings
    { input: 'Hans Müller', first: 'hans', last: 'muller', lasts: ['mueller'] },
    { input: 'Jürgen Schröder', first: 'jurgen', last: 'schroder', firsts: ['juergen'], lasts: ['schroeder'] },
    // hyphens
    { input: 'José García-López', first: 'jose', last: 'garcialopez', lasts: ['garcia-lopez', 'garcia', 'lopez'] },
    { input: 'Jean-Luc Picard', first: 'jeanluc', last: 'picard', firsts: ['jean-luc', 'jean'] },
    { input: 'Anna Smith–Jones', first: 'anna', last: 'smithjones', lasts: ['smith-jones', 'smith', 'jones'] }, // en dash
    // particles
    { input: 'Jan van der Berg', first: 'jan', last: 'vanderberg', lasts: ['berg'] },
    { input: 'Maria de la Cruz', first: 'maria', last: 'delacruz', lasts: ['cruz'] },
    { input: 'Ursula von der Leyen', first: 'ursula', last: 'vonderleyen', lasts: ['leyen'] },
    { input: 'Leonardo da Vinci', first: 'leonardo', last: 'davinci', lasts: ['vinci'] },
    { input: 'Carlo Di Stefano', first: 'carlo', last: 'distefano', lasts: ['stefano'] },
    { input: 'Marine Le Pen', first: 'marine', last: 'lepen', lasts: ['pen'] },
    { input: { first: 'Jan', last: 'van der Berg' }, first: 'jan', last: 'vanderberg', lasts: ['berg'] },
    { input: 'Ludwig Mies van der Rohe', first: 'ludwig', last: 'vanderrohe', middleInitial: 'm' },
    { input: 'Van Morrison', first: 'van', last: 'morrison' }, // a first name, not a particle
    { input: 'Jane St. Clair', first: 'jane', last: 'stclair', lasts: ['clair'] },
    { input: 'St. John Smith', first: 'stjohn', last: 'smith' }, // St. is no title
    // apostrophes
    { input: "Conor O'Brien", first: 'conor', last: 'obrien' },
    { input: 'Conor O’Brien', first: 'conor', last: 'obrien' },
    { input: "Conor O' Brien", first: 'conor', last: 'obrien' },
    { input: "Gabriele D'Annunzio", first: 'gabriele', last: 'dannunzio' },
    // titles and suffixes
    { input: 'Dr. Jane A. Doe Jr.', first: 'jane', last: 'doe', middleInitial: 'a' },
    { input: 'Prof. Dr. Hans-Peter Müller-Lüdenscheidt', first: 'hanspeter', last: 'mullerludenscheidt', lasts: ['muellerluedenscheidt', 'muller-ludenscheidt'] },
    { input: 'Mr John Smith III', first: 'john', last: 'smith' },
    { input: 'Mrs. Jane Doe, PhD', first: 'jane', last: 'doe' },
    { input: 'Jane Doe, MBA, CPA', first: 'jane', last: 'doe' },
    { input: 'Ms Jane Doe Esq.', first: 'jane', last: 'doe' },
    { input: 'Ing. Petr Novák', first: 'petr', last: 'novak' },
    { input: 'Eng Lim Goh', first: 'eng', last: 'goh', middleInitial: 'l' }, // Eng without a dot is a name
    { input: 'Jack Ma', first: 'jack', last: 'ma' }, // Ma is not a credential here
    { input: { first: 'Jane', last: 'Doe Jr.' }, first: 'jane', last: 'doe' },
    { input: { first: 'Dr. Jane', last: 'Doe' }, first: 'jane', last: 'doe' },
    // "Last, First"
    { input: 'Doe, Jane', first: 'jane', last: 'doe' },
    { input: 'Doe, Jane A.', first: 'jane', last: 'doe', middleInitial: 'a' },
    { input: 'Doe, Jane, PhD', first: 'jane', last: 'doe' },
    { input: 'van der Berg, Jan', first: 'jan', last: 'vanderberg', lasts: ['berg'] },
    { input: { full_name: 'García-López, José' }, first: 'jose', last: 'garcialopez' },
    // middle names and initials
    { input: 'Jane Ann Doe', first: 'jane', last: 'doe', middleInitial: 'a' },
    { input: 'John Paul George Smith', first: 'john', last: 'smith', middleInitial: 'p' },
    { input: 'J. Robert Smith', first: 'j', last: 'smith', firsts: ['robert'], middleInitial: 'r' },
    { input: { first: 'Jane A.', last: 'Doe' }, first: 'jane', last: 'doe', middleInitial: 'a' },
    { input: { first: 'Mary Jane', last: 'Watson' }, first: 'mary', last: 'watson', firsts: ['maryjane'], middleInitial: 'j' },
    // Spanish double surname without a hyphen: García is read as a middle name too (ambiguous)
    { input: 'Gabriel García Márquez', first: 'gabriel', last: 'marquez', lasts: ['garcia', 'garciamarquez'], middleInitial: 'g' },
    // nicknames
    { input: 'William Smith', first: 'william', last: 'smith', firsts: ['bill', 'will'] },
    { input: 'Robert Brown', first: 'robert', last: 'brown', firsts: ['bob'] },
    { input: 'Elizabeth Taylor', first: 'elizabeth', last: 'taylor', firsts: ['liz', 'beth'] },
    { input: 'Katherine Lee', first: 'katherine', last: 'lee', firsts: ['kate'] },
    { input: 'Bill Gates', first: 'bill', last: 'gates', firsts: ['william'] },
    { input: 'Robert "Bob" Smith', first: 'robert', last: 'smith', firsts: ['bob'] },
    { input: 'Robert (Robbie) Smith', first: 'robert', last: 'smith', firsts: ['robbie'] },
    // single-word names
    { input: 'Madonna', first: 'madonna' },
    { input: { first: 'Cher' }, first: 'cher' },
    { input: { last: 'Smith' }, last: 'smith' },
    { input: { first: 'Jane Doe' }, first: 'jane', last: 'doe' }, // a full name in the First column
    // CJK and other scripts via any-ascii
    { input: '王伟', first: 'wei', last: 'wang' },
    { input: '王 伟', first: 'wei', last: 'wang' },
    { input: '欧阳娜娜', first: 'nana', last: 'ouyang' },
    { input: { first: '伟', last: '王' }, first: 'wei', last: 'wang' },
    { input: '김민준', first: 'minjun', last: 'kim', lasts: ['gim'] },
    { input: { first: '민준', last: '박' }, first: 'minjun', last: 'park', lasts: ['bag'] },
    { input: 'Nguyễn Văn An', first: 'an', last: 'nguyen', middleInitial: 'v' },
    { input: 'Đorđe Balašević', first: 'dorde', last: 'balasevic' }, // Serbian, not Vietnamese order
    // CRM noise
    { input: 'Jane Doe (2)', first: 'jane', last: 'doe' },
    { input: 'Jane & Doe', first: 'jane', last: 'doe' },
    // one explicit column plus a full name
    { input: { first: 'Janet', full_name: 'Jane Doe' }, first: 'janet', last: 'doe' },
  ];

  for (const row of table) {
    it(`should read ${JSON.stringify(row.input)}`, () => {
      const name = parsed(row.input);
      if (row.first !== undefined) {
        assert.equal(name.firsts[0]?.value, row.first, 'canonical first');
        assert.equal(name.firsts[0]?.weight, 1, 'canonical first has weight 1');
      } else {
        assert.deepEqual(name.firsts, []);
      }
      if (row.last !== undefined) {
        assert.equal(name.lasts[0]?.value, row.last, 'canonical last');
        assert.equal(name.lasts[0]?.weight, 1, 'canonical last has weight 1');
      } else {
        assert.deepEqual(name.lasts, []);
      }
      for (const f of row.firsts ?? []) assert.ok(values(name.firsts).includes(f), `firsts should include ${f}: ${values(name.firsts)}`);
      for (const l of row.lasts ?? []) assert.ok(values(name.lasts).includes(l), `lasts should include ${l}: ${values(name.lasts)}`);
      assert.equal(name.middleInitial, row.middleInitial, 'middle initial');
      for (const v of [...name.firsts, ...name.lasts]) {
        assert.match(v.value, /^[a-z0-9]+(-[a-z0-9]+)*$/, `only [a-z0-9] (and an inner hyphen): ${v.value}`);
        assert.ok(v.weight > 0 && v.weight <= 1, `weight in (0, 1]: ${v.value} ${v.weight}`);
      }
    });
  }

  it('should rank alternatives below the canonical spelling', () => {
    const garcia = parsed('José García-López');
    assert.ok(weightOf(garcia.lasts, 'garcia-lopez')! < 1);
    assert.ok(weightOf(garcia.lasts, 'lopez')! < weightOf(garcia.lasts, 'garcia')!, 'the first surname beats the second');
    const william = parsed('William Smith');
    assert.equal(weightOf(william.firsts, 'bill'), NAME_WEIGHTS.nickname);
    const stated = parsed('Robert "Bob" Smith');
    assert.ok(weightOf(stated.firsts, 'bob')! > weightOf(stated.firsts, 'rob')!, 'a stated nickname beats a table nickname');
  });

  it('should put the umlaut expansion first when asked (German-speaking company)', () => {
    const name = parsed('Hans Müller', { preferUmlautExpansion: true });
    assert.equal(name.lasts[0].value, 'mueller');
    assert.equal(weightOf(name.lasts, 'muller'), NAME_WEIGHTS.germanUmlautExpansion);
  });

  it('should keep the same value only once, with its best weight', () => {
    const name = parsed('Anna Anna-Anna');
    const seen = values(name.lasts);
    assert.equal(new Set(seen).size, seen.length);
  });

  const bad: { input: NameInput | string; reason: RegExp }[] = [
    { input: '', reason: /no name given/ },
    { input: '   ', reason: /no name given/ },
    { input: {}, reason: /no name given/ },
    { input: { first: null, last: null, full_name: null }, reason: /no name given/ },
    { input: { first: 'N/A', last: 'null' }, reason: /no name given/ },
    { input: '???', reason: /no letters/ },
    { input: '🙂 🙃', reason: /no letters/ },
    { input: { first: '-', last: '42' }, reason: /no name given|no letters/ },
    { input: '12345', reason: /no letters/ },
    { input: 'jane@acme.com', reason: /email address, not a name/ },
  ];
  for (const row of bad) {
    it(`should refuse ${JSON.stringify(row.input)} with a reason`, () => {
      const r = parseName(row.input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, row.reason);
    });
  }
});

describe('toAsciiToken', () => {
  const table: [string, string][] = [
    ['José', 'jose'],
    ['Øystein', 'oystein'],
    ['Łukasz', 'lukasz'],
    ['ß', 'ss'],
    ["O'Brien", 'obrien'],
    ['Æsa', 'aesa'],
    ['a.b-c d', 'abcd'],
    ['', ''],
  ];
  for (const [input, expected] of table) {
    it(`should turn ${JSON.stringify(input)} into ${JSON.stringify(expected)}`, () => {
      assert.equal(toAsciiToken(input), expected);
    });
  }
});

describe('umlaut spelling conventions', () => {
  it('reads which spelling an address uses for a name, if it shows one', () => {
    assert.equal(umlautStyleIn({ first: 'José', last: 'Müller' }, 'jose.mueller'), 'expand');
    assert.equal(umlautStyleIn({ first: 'José', last: 'Müller' }, 'jmuller'), 'plain');
    assert.equal(umlautStyleIn({ full_name: 'Jürgen Groß-Schröder' }, 'juergen.gross'), 'expand');
    assert.equal(umlautStyleIn({ first: 'José', last: 'Müller' }, 'jose'), undefined, 'the address does not show the umlaut name');
    assert.equal(umlautStyleIn({ first: 'Anna', last: 'Smith' }, 'anna.smith'), undefined, 'no umlauts');
    assert.equal(hasUmlauts({ first: 'Zoë', last: 'Brontë' }), false, 'ë is not a German umlaut');
    assert.equal(hasUmlauts({ full_name: 'Jörg Weiß' }), true);
  });

  it('prefers ue where the domain\'s addresses show it, else on German-speaking country domains', () => {
    assert.equal(prefersUmlautExpansion('acme.com', { expand: 2, plain: 1 }), true);
    assert.equal(prefersUmlautExpansion('acme.de', { plain: 1 }), false, 'what the domain shows wins over its country');
    assert.equal(prefersUmlautExpansion('acme.de', {}), true);
    assert.equal(prefersUmlautExpansion('acme.co.at', {}), true);
    assert.equal(prefersUmlautExpansion('acme.com', {}), false);
  });
});
