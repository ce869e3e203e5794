/**
 * Stands in for `any-ascii` inside the add-on bundle (build.ts aliases it). The add-on only
 * folds header cells ("Prénom", "Société", "Förnamn") for column detection, and Unicode
 * decomposition does that for every alias in core/lists/columns.ts; the full transliteration
 * table would add half a megabyte to the script Apps Script loads on every call.
 */
export default function anyAscii(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, (c) => (c === 'æ' ? 'ae' : 'AE'))
    .replace(/[øØ]/g, (c) => (c === 'ø' ? 'o' : 'O'));
}
