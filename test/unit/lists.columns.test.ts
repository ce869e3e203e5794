import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  explainMissing, isUsableMapping, looksLikeData, mapColumns, normalizeHeader, roleOf,
  type ColumnMapping, type Role,
} from '../../core/lists/columns.ts';

describe('roleOf: one header cell', () => {
  const cases: Array<[string, Role | undefined]> = [
    // English, with the spellings exports actually use
    ['First Name', 'first'], ['first_name', 'first'], ['FirstName', 'first'], ['firstName', 'first'],
    ['  FIRST-NAME  ', 'first'], ['Given name', 'first'], ['Last name', 'last'], ['Surname', 'last'],
    ['last_name', 'last'], ['Full Name', 'full_name'], ['Company', 'company'], ['Company Name', 'company'],
    ['Organization', 'company'], ['Domain', 'domain'], ['Company Domain', 'domain'], ['Website', 'domain'],
    ['URL', 'domain'], ['Company Website', 'domain'], ['Email', 'email'], ['E-mail', 'email'],
    ['Email Address', 'email'], ['EMAIL_ADDRESS', 'email'], ['Work Email', 'email'],
    // Decorations that do not change the meaning
    ['Contact First Name', 'first'], ['Lead Company', 'company'], ['Email 1', 'email'],
    ['First name (required)', 'first'], ['First name *', 'first'],
    // French
    ['Prénom', 'first'], ['PRENOM', 'first'], ['Nom de famille', 'last'], ['Société', 'company'],
    ['Entreprise', 'company'], ["Nom de l'entreprise", 'company'], ['Site web', 'domain'], ['Courriel', 'email'],
    ['Adresse e-mail', 'email'], ['Nom complet', 'full_name'],
    // German
    ['Vorname', 'first'], ['Nachname', 'last'], ['Firma', 'company'], ['Unternehmen', 'company'],
    ['Firmenname', 'company'], ['Webseite', 'domain'], ['E-Mail-Adresse', 'email'],
    // Spanish
    ['Apellido', 'last'], ['Apellidos', 'last'], ['Empresa', 'company'], ['Compañía', 'company'],
    ['Sitio web', 'domain'], ['Correo electrónico', 'email'], ['Nombre completo', 'full_name'],
    // Portuguese, Italian, Dutch
    ['Sobrenome', 'last'], ['Nome completo', 'full_name'], ['Domínio', 'domain'],
    ['Cognome', 'last'], ['Azienda', 'company'], ['Sito web', 'domain'],
    ['Voornaam', 'first'], ['Achternaam', 'last'], ['Bedrijf', 'company'], ['Bedrijfsnaam', 'company'],
    // Lookalikes that must not map
    ['LinkedIn URL', undefined], ['Company LinkedIn URL', undefined], ['Email Status', undefined],
    ['Phone', undefined], ['City', undefined], ['Job Title', undefined], ['', undefined], ['   ', undefined],
  ];
  for (const [cell, role] of cases) {
    it(`${JSON.stringify(cell)} → ${role ?? 'nothing'}`, () => assert.equal(roleOf(cell), role));
  }
});

describe('mapColumns: whole header', () => {
  const cases: Array<[string, string[], ColumnMapping, string[]]> = [
    ['English', ['First Name', 'Last Name', 'Company', 'Website', 'Phone'], { first: 0, last: 1, company: 2, domain: 3 }, ['Phone']],
    ['French, Nom next to Prénom is the last name', ['Prénom', 'Nom', 'Société', 'Site web'], { first: 0, last: 1, company: 2, domain: 3 }, []],
    ['French, Nom alone is the full name', ['Nom', 'Entreprise'], { full_name: 0, company: 1 }, []],
    ['German, Name next to Vorname is the last name', ['Vorname', 'Name', 'Firma', 'E-Mail'], { first: 0, last: 1, company: 2, email: 3 }, []],
    ['Spanish, Nombre next to Apellido is the first name', ['Nombre', 'Apellido', 'Empresa', 'Dominio'], { first: 0, last: 1, company: 2, domain: 3 }, []],
    ['Spanish, Nombre alone is the full name', ['Nombre', 'Empresa'], { full_name: 0, company: 1 }, []],
    ['Italian', ['Nome', 'Cognome', 'Azienda'], { first: 0, last: 1, company: 2 }, []],
    ['Dutch', ['Voornaam', 'Achternaam', 'Bedrijfsnaam', 'Website'], { first: 0, last: 1, company: 2, domain: 3 }, []],
    ['Name and Company', ['Name', 'Company'], { full_name: 0, company: 1 }, []],
    ['odd spacing and case', ['  first  NAME ', 'LAST_name', 'company__domain', 'E - Mail'], { first: 0, last: 1, domain: 2, email: 3 }, []],
    ['Domain beats Website whatever the order', ['Website', 'Full name', 'Domain'], { domain: 2, full_name: 1 }, []],
    ['the leftmost of two equal columns wins', ['Email', 'Full name', 'Work Email', 'Company'], { email: 0, full_name: 1, company: 3 }, []],
    ['Name beats Contact for the full name', ['Contact', 'Name', 'Company'], { full_name: 1, company: 2 }, []],
  ];
  for (const [name, header, mapping, unknown] of cases) {
    it(name, () => {
      const got = mapColumns(header);
      assert.deepEqual(got.mapping, mapping);
      assert.deepEqual(got.unknown, unknown);
    });
  }

  it('lists unknown columns as written and leaves out blank ones', () => {
    assert.deepEqual(mapColumns(['Email', ' Stadt ', '', 'Telefon']).unknown, [' Stadt ', 'Telefon']);
  });
});

describe('normalizeHeader', () => {
  it('folds accents, case, punctuation and camelCase into words', () => {
    assert.equal(normalizeHeader('  Prénom_Contact '), 'prenom contact');
    assert.equal(normalizeHeader('companyWebsiteURL'), 'company website url');
    assert.equal(normalizeHeader('Straße'), 'strasse');
  });
});

describe('usable mapping and what is missing', () => {
  it('accepts a name and a company, a name and a domain, or an email alone', () => {
    assert.equal(isUsableMapping({ first: 0, last: 1, company: 2 }), true);
    assert.equal(isUsableMapping({ full_name: 0, domain: 1 }), true);
    assert.equal(isUsableMapping({ email: 0 }), true);
    assert.equal(isUsableMapping({ first: 0, company: 1 }), false);
    assert.equal(isUsableMapping({ full_name: 0 }), false);
  });

  it('explains a missing last name, naming the column that was found', () => {
    const header = ['Vorname', 'Firma', 'Stadt'];
    const msg = explainMissing(header, mapColumns(header).mapping);
    assert.match(msg ?? '', /^found columns: Vorname, Firma, Stadt; need a last name column next to "Vorname" \(e\.g\. Last name/);
    assert.doesNotMatch(msg ?? '', /company/i);
  });

  it('explains a header with neither a name nor a company', () => {
    const header = ['Phone', 'City', ''];
    const msg = explainMissing(header, mapColumns(header).mapping);
    assert.equal(msg, 'found columns: Phone, City, (blank column 3); need a name (First name + Last name, or Full name) and a company (Company, Domain or Website), or an Email column to verify existing addresses');
  });

  it('says nothing is missing for a usable header', () => {
    const header = ['Full name', 'Website'];
    assert.equal(explainMissing(header, mapColumns(header).mapping), undefined);
  });
});

describe('looksLikeData', () => {
  const cases: Array<[string[], boolean]> = [
    [['Jane', 'Doe', 'acme.com'], true],
    [['Jane', 'Doe', 'jane@acme.co.uk'], true],
    [['Jane', 'https://acme.com/about'], true],
    [['Jane', 'Doe', 'Acme Inc'], false],
    [['Vorname', 'Stadt', 'Telefon'], false],
  ];
  for (const [cells, expected] of cases) {
    it(`${JSON.stringify(cells)} → ${expected}`, () => assert.equal(looksLikeData(cells), expected));
  }
});

describe('compound headers', () => {
  for (const [cell, role] of [
    ['Firma Website', 'domain'], ['Firmenwebsite', 'domain'], ['Company Homepage URL', 'domain'], ['Unternehmensdomain', 'domain'],
    ['Empresa del contacto', 'company'], ['Primary Email Address 2', 'email'], ['Company LinkedIn URL', undefined], ['Email Verified', undefined],
  ] as const) {
    it(`"${cell}" → ${role ?? 'nothing'}`, () => assert.equal(roleOf(cell), role));
  }
});
