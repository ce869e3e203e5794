/**
 * Writes the results file: the user's columns as uploaded, then ours.
 *
 * - Encoding: UTF-8 with a BOM. Without the BOM, Excel on Windows reads UTF-8 as the local code
 *   page and "Prénom" becomes "PrÃ©nom".
 * - Delimiter: the upload's when given (see ResultsWriterOptions.delimiter), else a comma.
 * - Line endings: CRLF between records (RFC 4180, and what Excel writes). A line break inside a
 *   cell is kept as it was, inside quotes.
 * - Our columns: `email`, `confidence`, `verification`, `status`, `pattern` (and `reason` when
 *   asked), then the company's `industry` and `is_agency` (blank when its website told us nothing). When the upload already has a column with one of these names (compared ignoring case,
 *   accents and punctuation, so "E-mail" clashes with "email"), the user's column is kept as is
 *   and ours is renamed `toofr_email` (then `toofr_email_2`, … if that is taken too).
 * - Rows with more cells than the header keep the extra cells, after our columns, so our columns
 *   stay aligned and nothing uploaded is lost. Short rows are padded with empty cells.
 * - Formula injection: every cell starting with `=`, `+`, `-`, `@`, a tab or a CR (and the
 *   full-width `＝ ＋ －`) gets a leading `'`, original cells and header included, so a malicious
 *   upload cannot become a malicious download (csv-stringify's `escape_formulas`). A cell such as
 *   "-" or "+33 1 23 45 67 89" is therefore written as "'-" / "'+33 1 …".
 */
import { Readable, pipeline, type Transform, type TransformCallback } from 'node:stream';
import anyAscii from 'any-ascii';
import { Stringifier } from 'csv-stringify';

/** One line of the results file. Missing values are written as empty cells. */
export interface ResultRow {
  /** The row's cells as read (ParsedRow.raw). */
  raw: readonly string[];
  email?: string | null;
  confidence?: number | null;
  verification?: string | null;
  status?: string | null;
  pattern?: string | null;
  /** Written only when the writer was created with `includeReason`. */
  reason?: string | null;
  /** The company's industry (display name), from its homepage. */
  industry?: string | null;
  is_agency?: boolean | null;
}

export interface ResultsWriterOptions {
  /**
   * Cell delimiter, default ','. Pass the upload's (CsvMeta.delimiter): a user whose Excel saved
   * with ';' gets a file their Excel splits into columns when double-clicked.
   */
  delimiter?: string;
  /** Adds a `reason` column after ours, e.g. "no last name" for rows that were not looked up. */
  includeReason?: boolean;
}

export interface ResultsWriter {
  /** The header of the results file: the original header cells, then ours (renamed on a clash). */
  columns: string[];
  /** The cells written for one row, before CSV quoting and formula neutralising. */
  cells(row: ResultRow): string[];
  /**
   * A new Transform: write ResultRow objects, read CSV text (strings; BOM and header first, even
   * with no rows). Pipe it to a file or an HTTP response; backpressure applies.
   */
  stream(): Transform;
  /** The whole file as text chunks from rows read lazily; errors from `rows` surface here. */
  csv(rows: AsyncIterable<ResultRow> | Iterable<ResultRow>): AsyncIterable<string>;
}

const OUR_COLUMNS = ['email', 'confidence', 'verification', 'status', 'pattern'] as const;
// Added later than the others, so they come after them (and after `reason`): files and sheets
// made before keep their columns where they were.
const COMPANY_COLUMNS = ['industry', 'is_agency'] as const;

/** Column names compared the way a person would: "E-mail", "EMAIL" and "email" are the same. */
function sameName(s: string): string {
  return anyAscii(s).toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** Our column names, renamed where the upload already uses the name. */
export function outputColumnNames(header: readonly string[], includeReason = false): string[] {
  const taken = new Set(header.map(sameName));
  const ours: string[] = [...OUR_COLUMNS, ...(includeReason ? ['reason'] : []), ...COMPANY_COLUMNS];
  return ours.map((name) => {
    let candidate = name;
    if (taken.has(sameName(candidate))) candidate = `toofr_${name}`;
    for (let i = 2; taken.has(sameName(candidate)); i++) candidate = `toofr_${name}_${i}`;
    taken.add(sameName(candidate));
    return candidate;
  });
}

const STRINGIFY_OPTIONS = {
  bom: true,
  quote: '"',
  escape_formulas: true,
  record_delimiter: 'windows',
  // csv-stringify quotes a cell holding the record delimiter (CRLF) but not a bare LF or CR;
  // unquoted, those would end the record early for any reader.
  quoted_match: /[\r\n]/,
} as const;

/**
 * csv-stringify's Transform, taking ResultRow objects instead of arrays. The header is written as
 * the first record rather than with the `header` option because rows may be wider than it.
 */
class ResultsStringifier extends Stringifier {
  #columns: string[];
  #toCells: (row: ResultRow) => string[];
  #started = false;

  constructor(columns: string[], toCells: (row: ResultRow) => string[], delimiter: string) {
    super({ ...STRINGIFY_OPTIONS, delimiter });
    this.#columns = columns;
    this.#toCells = toCells;
    this.setEncoding('utf8');
  }

  override _transform(row: ResultRow, encoding: BufferEncoding, callback: TransformCallback): void {
    let cells: string[];
    try {
      cells = this.#toCells(row);
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (this.#started) {
      super._transform(cells, encoding, callback);
      return;
    }
    this.#started = true;
    super._transform(this.#columns, encoding, (err) => {
      if (err) callback(err);
      else super._transform(cells, encoding, callback);
    });
  }

  override _flush(callback: TransformCallback): void {
    if (this.#started) {
      super._flush(callback);
      return;
    }
    this.#started = true;
    super._transform(this.#columns, 'utf8', (err) => {
      if (err) callback(err);
      else super._flush(callback);
    });
  }
}

/**
 * Creates the writer for one list. `header` is the uploaded header (CsvMeta.header); every row's
 * `raw` is laid out under it.
 */
export function createResultsWriter(header: readonly string[], opts: ResultsWriterOptions = {}): ResultsWriter {
  const width = header.length;
  const ours = outputColumnNames(header, opts.includeReason);
  const columns = [...header, ...ours];

  const cells = (row: ResultRow): string[] => {
    if (!row || !Array.isArray(row.raw)) {
      throw new TypeError('results writer: each row needs `raw`, the array of its original cells');
    }
    const out = row.raw.slice(0, width).map(String);
    while (out.length < width) out.push('');
    out.push(
      row.email ?? '',
      row.confidence == null ? '' : String(row.confidence),
      row.verification ?? '',
      row.status ?? '',
      row.pattern ?? '',
    );
    if (opts.includeReason) out.push(row.reason ?? '');
    out.push(row.industry ?? '', row.is_agency == null ? '' : String(row.is_agency));
    for (let i = width; i < row.raw.length; i++) out.push(String(row.raw[i]));
    return out;
  };

  const delimiter = opts.delimiter ?? ',';
  if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) {
    throw new TypeError(`results writer: delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
  }
  const stream = (): Transform => new ResultsStringifier(columns, cells, delimiter);

  return {
    columns,
    cells,
    stream,
    csv(rows) {
      const out = stream();
      // pipeline destroys `out` with the error if `rows` throws, so the reader sees it.
      pipeline(Readable.from(rows, { objectMode: true }), out, () => {});
      return out as AsyncIterable<string>;
    },
  };
}
