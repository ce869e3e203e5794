/**
 * Reads an uploaded CSV as a stream of rows ready to become records.
 *
 *   bytes ─ decodeStream ─ text ─ RecordFramer ─ record texts ─ csv-parse ─ cells ─ ParsedRow
 *
 * Why a framer in front of csv-parse: csv-parse cannot recover from an unbalanced quote. The
 * quote swallows every following line until the next `"` in the file, and with
 * skip_records_with_error those lines are dropped, so one stray quote at row 7 of 10,000 would
 * lose the rest of the list. The framer finds record boundaries itself (RFC 4180 quoting, with
 * embedded line breaks) and, when a quoted field does not close properly, cuts the bad record
 * back to its own line and resumes on the next one. csv-parse still splits each good record
 * into cells, so quoting, escaping and ragged rows follow one well-tested implementation.
 *
 * What counts as what:
 * - Header: the first non-blank row (after an Excel `sep=;` line). It is a header when at least
 *   one cell maps to a role (columns.ts). A first row with an address or domain in it is
 *   reported as "no header row"; a first row of unknown names as "no usable columns".
 * - Blank lines, and rows whose cells are all empty (`,,,`), are skipped: they are not rows.
 * - Header only: not an error. The file has 0 rows; the caller decides what to tell the user.
 * - A row that cannot be looked up is still a row, with a `reason`; nothing the user uploaded is
 *   dropped, so the results file lines up with the upload.
 * - Whole-file problems throw CsvError with a message written for the user.
 */
import { parse } from 'csv-parse/sync';
import { decodeStream, type TextEncodingName } from './decode.ts';
import {
  ROLES, describeFound, explainMissing, looksLikeData, mapColumns,
  type ColumnMapping, type Role,
} from './columns.ts';

export type CsvErrorCode =
  | 'empty'             // no bytes, or only blank lines
  | 'not_text'          // an Excel workbook, a PDF, an image, a web page…
  | 'no_header'         // the first row is data, not column names
  | 'no_usable_columns' // a header, but not enough to look anyone up
  | 'too_many_rows'     // more than opts.maxRows data rows
  | 'line_too_long';    // a single line so long the file cannot be a contact list

/** A problem with the whole file. `message` is meant for the user and says what to do. */
export class CsvError extends Error {
  readonly code: CsvErrorCode;
  constructor(code: CsvErrorCode, message: string) {
    super(message);
    this.name = 'CsvError';
    this.code = code;
  }
}

/** Cells of the mapped columns, trimmed; a key is present only when its cell is not empty. */
export type RowInput = Partial<Record<Role, string>>;

export interface ParsedRow {
  /** 0-based position among the data rows; results are written in this order. */
  ordinal: number;
  /** 1-based line of the file where the row starts (a quoted line break makes a row span lines). */
  line: number;
  /** The cells as parsed, untrimmed; as many as the row had, which may differ from the header. */
  raw: string[];
  input: RowInput;
  /** Why this row cannot be looked up; absent when it can. */
  reason?: string;
}

export interface CsvMeta {
  encoding: TextEncodingName;
  bom: boolean;
  delimiter: string;
  /** The header cells as written. */
  header: string[];
  mapping: ColumnMapping;
  /** Header cells that map to no role. */
  unknownColumns: string[];
  /** 1-based line of the header row. */
  headerLine: number;
}

/** Counters that grow while `rows` is read; final once it has been read to the end. */
export interface CsvStats {
  readonly rows: number;
  readonly rowsWithReason: number;
  /** Blank lines and all-empty rows skipped, header excluded. */
  readonly blankLines: number;
  /** Bytes that were not valid UTF-8 and were read as Windows-1252 (see decode.ts). */
  readonly repairedBytes: number;
}

export interface ReadCsvOptions {
  /**
   * Extra per-row check, e.g. "this company name cannot be resolved to a domain". Called for rows
   * that passed the built-in checks (readable, has a name and a company/domain, or an email);
   * a returned string becomes the row's reason.
   */
  checkRow?: (input: RowInput, row: { line: number; raw: readonly string[] }) => string | undefined;
  /** Reading throws CsvError('too_many_rows') on the first row past this count. */
  maxRows?: number;
}

export interface CsvRead {
  meta: CsvMeta;
  /**
   * The data rows, in file order. Read it to the end, or call `rows.return()` to stop early:
   * either closes the source.
   */
  rows: AsyncGenerator<ParsedRow, void, undefined>;
  stats: CsvStats;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
const SNIFF_CHARS = 16 * 1024;
const SNIFF_RECORDS = 20;
/**
 * A quoted field may span lines (addresses, notes), but a real one rarely spans many. Past this
 * many line breaks the opening quote is taken to be a stray one.
 */
const MAX_QUOTED_LINE_BREAKS = 50;
/** Longest record accepted; also bounds the memory a single record can take. */
const MAX_RECORD_CHARS = 1_000_000;
const SEP_LINE = /^\s*sep=(.)\s*$/i;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Opens a CSV for import. Resolves once the header has been read and checked, so whole-file
 * problems (not a CSV, no usable column…) surface before any row is inserted; the rows then
 * stream as the caller reads them.
 */
export async function readCsv(source: AsyncIterable<Uint8Array>, opts: ReadCsvOptions = {}): Promise<CsvRead> {
  const decoded = await decodeStream(source);
  let batches: AsyncGenerator<Frame[], void, undefined> | undefined;
  try {
    if (decoded.notText) throw new CsvError('not_text', decoded.notText.message);

    const text = decoded.text[Symbol.asyncIterator]();
    const head: string[] = [];
    let headLength = 0;
    let eof = false;
    while (headLength < SNIFF_CHARS) {
      const r = await text.next();
      if (r.done) {
        eof = true;
        break;
      }
      head.push(r.value);
      headLength += r.value.length;
    }
    const sample = head.join('');
    const { delimiter, fromSepLine } = sniffDelimiter(sample, eof);
    const framer = new RecordFramer(delimiter);
    batches = frameBatches(framer, sample, eof ? undefined : text);

    // Header: the first non-blank row.
    let header: string[] | undefined;
    let headerLine = 0;
    let carry: Frame[] = [];
    let skippedRows = 0;
    let sepPending = fromSepLine;
    while (header === undefined) {
      const r = await batches.next();
      if (r.done) break;
      const frames = r.value;
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i];
        if (sepPending && f.kind === 'record' && SEP_LINE.test(f.text)) {
          sepPending = false;
          continue;
        }
        sepPending = false;
        const { cells } = splitFrames([f], delimiter)[0];
        if (cells.every((c) => c.trim() === '')) {
          skippedRows++;
          continue;
        }
        header = cells;
        headerLine = f.line;
        carry = frames.slice(i + 1);
        break;
      }
    }
    if (header === undefined) {
      throw new CsvError('empty', 'The file is empty: it has no rows. Upload a CSV with a header row (e.g. First name, Last name, Company) and one person per row.');
    }

    const { mapping, unknown } = mapColumns(header);
    if (Object.keys(mapping).length === 0) {
      if (looksLikeData(header)) {
        throw new CsvError('no_header', `The file has no header row: the first row looks like data (${describeFound(header)}). Add a first row with column names such as First name, Last name, Company, Domain, and upload it again.`);
      }
      throw new CsvError('no_usable_columns', `None of the columns could be recognised (${describeFound(header)}). Name them e.g. First name, Last name, Company, Domain (or Full name, Website, Email) and upload the file again.`);
    }
    const missing = explainMissing(header, mapping);
    if (missing) {
      throw new CsvError('no_usable_columns', `These columns are not enough to find emails: ${missing}. Add or rename the columns and upload the file again.`);
    }

    const meta: CsvMeta = {
      encoding: decoded.encoding,
      bom: decoded.bom,
      delimiter,
      header,
      mapping,
      unknownColumns: unknown,
      headerLine,
    };
    let rowCount = 0;
    let withReason = 0;
    let emptyRows = skippedRows;
    const stats: CsvStats = {
      get rows() { return rowCount; },
      get rowsWithReason() { return withReason; },
      get blankLines() { return framer.blankLines + emptyRows; },
      get repairedBytes() { return decoded.repairedBytes; },
    };
    const width = header.length;
    const frames = batches;

    async function* rows(): AsyncGenerator<ParsedRow, void, undefined> {
      try {
        let batch = carry;
        for (;;) {
          for (const { frame, cells, problem } of splitFrames(batch, delimiter)) {
            if (!problem && cells.every((c) => c.trim() === '')) {
              emptyRows++;
              continue;
            }
            if (opts.maxRows !== undefined && rowCount >= opts.maxRows) {
              throw new CsvError('too_many_rows', `The file has more than ${opts.maxRows.toLocaleString('en-US')} rows, the most one list can hold. Split it into smaller files and upload them one at a time.`);
            }
            const input = inputOf(cells, mapping, width);
            const reason = problem ?? rowReason(input) ?? opts.checkRow?.(input, { line: frame.line, raw: cells });
            const row: ParsedRow = { ordinal: rowCount, line: frame.line, raw: cells, input };
            if (reason) {
              row.reason = reason;
              withReason++;
            }
            rowCount++;
            yield row;
          }
          const r = await frames.next();
          if (r.done) break;
          batch = r.value;
        }
      } finally {
        await frames.return();
        await decoded.close();
      }
    }

    return { meta, rows: rows(), stats };
  } catch (err) {
    await batches?.return();
    await decoded.close();
    throw err;
  }
}

/** The built-in per-row check: the reason a row cannot be looked up, or undefined. */
export function rowReason(input: RowInput): string | undefined {
  // An address already in the file is verified rather than guessed; it needs nothing else.
  if (input.email && EMAIL_RE.test(input.email)) return undefined;
  const missing: string[] = [];
  if (!(input.full_name || (input.first && input.last))) {
    missing.push(input.first ? 'no last name' : input.last ? 'no first name' : 'no name');
  }
  if (!(input.company || input.domain)) missing.push('no company or domain');
  return missing.length > 0 ? missing.join(' and ') : undefined;
}

/**
 * The mapped cells of a row. Also how a record's lookup input is rebuilt from its stored raw
 * cells and the list's mapping (records store only the normalised domain besides the raw row).
 */
export function inputOf(cells: readonly string[], mapping: ColumnMapping, width: number): RowInput {
  const input: RowInput = {};
  for (const role of ROLES) {
    const i = mapping[role];
    // Short rows are padded for mapping; a column past the header's width is never mapped.
    if (i === undefined || i >= width) continue;
    const value = (cells[i] ?? '').trim();
    if (value !== '') input[role] = value;
  }
  return input;
}

async function* frameBatches(
  framer: RecordFramer,
  first: string,
  rest: AsyncIterator<string> | undefined,
): AsyncGenerator<Frame[], void, undefined> {
  try {
    const initial = framer.push(first);
    if (initial.length > 0) yield initial;
    if (rest) {
      for (;;) {
        const r = await rest.next();
        if (r.done) break;
        const frames = framer.push(r.value);
        if (frames.length > 0) yield frames;
      }
    }
    const last = framer.end();
    if (last.length > 0) yield last;
  } finally {
    // Stops the decoder (and so the source) when the reader is abandoned early.
    await rest?.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Delimiter

/**
 * Picks the delimiter from the first records: the candidate that appears in the header and occurs
 * the same number of times in the most rows wins; more occurrences in the header break ties.
 * Counting is quote-aware, so "Acme, Inc" does not vote for the comma. An Excel `sep=X` first
 * line decides outright. Without any candidate (a one-column file) the comma is used.
 */
export function sniffDelimiter(sample: string, complete: boolean): { delimiter: string; fromSepLine: boolean } {
  const firstLine = sample.slice(0, Math.min(sample.length, 64)).split(/\r\n|\r|\n/, 1)[0] ?? '';
  const sep = SEP_LINE.exec(firstLine);
  if (sep && sep[1] !== '"') return { delimiter: sep[1], fromSepLine: true };

  const counts = countDelimitersPerRecord(sample, complete);
  let best: { delimiter: string; score: number } = { delimiter: ',', score: -1 };
  for (const d of DELIMITERS) {
    const perRecord = counts.map((c) => c[d]);
    const inHeader = perRecord[0] ?? 0;
    if (inHeader === 0) continue;
    const rest = perRecord.slice(1);
    const consistent = rest.length === 0 ? 1 : rest.filter((n) => n === inHeader).length / rest.length;
    const score = consistent * 1000 + Math.min(inHeader, 999);
    if (score > best.score) best = { delimiter: d, score };
  }
  return { delimiter: best.delimiter, fromSepLine: false };
}

function countDelimitersPerRecord(sample: string, complete: boolean): Array<Record<string, number>> {
  const records: Array<Record<string, number>> = [];
  const fresh = () => ({ ',': 0, ';': 0, '\t': 0, '|': 0 }) as Record<string, number>;
  let current = fresh();
  let nonBlank = false;
  let inQuotes = false;
  let fieldStart = true;
  for (let i = 0; i < sample.length && records.length < SNIFF_RECORDS; i++) {
    const c = sample[i];
    if (inQuotes) {
      if (c === '"') {
        if (sample[i + 1] === '"') i++;
        else inQuotes = false;
      }
      continue;
    }
    if (c === '"' && fieldStart) {
      inQuotes = true;
      fieldStart = false;
      nonBlank = true;
    } else if (c === '\n' || c === '\r') {
      if (nonBlank) records.push(current);
      current = fresh();
      nonBlank = false;
      fieldStart = true;
    } else if (c in current) {
      current[c]++;
      fieldStart = true;
      nonBlank = true;
    } else {
      fieldStart = false;
      if (c !== ' ') nonBlank = true;
    }
  }
  // The last record of a partial sample may be cut short; count it only if it is all we have.
  if (nonBlank && (complete || records.length === 0)) records.push(current);
  return records;
}

// ---------------------------------------------------------------------------------------------
// Framing

export type Frame =
  /** A complete record, its line break(s) excluded. */
  | { kind: 'record'; text: string; line: number }
  /**
   * A record cut at the end of the line where a quote opened and never closed properly.
   * `quoteAt` is the offset of that quote in `text`; `quoteLine` its line in the file.
   */
  | { kind: 'broken'; text: string; line: number; quoteAt: number; quoteLine: number };

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Splits text into records, chunk by chunk, keeping only the unfinished record in memory.
 *
 * Quoting follows RFC 4180 as csv-parse reads it with relax_quotes: a quote opens a quoted field
 * only at the start of a field; inside, `""` is a quote; the field closes at a quote followed by
 * the delimiter, a line break or the end. A quote followed by anything else closes the field
 * too, and the rest of the field is plain text (`"Acme" Inc`).
 *
 * A quoted field that crosses a line break is accepted only if it then closes properly within
 * MAX_QUOTED_LINE_BREAKS breaks. Otherwise (end of file, a bad closing quote, too many lines) the
 * opening quote is taken as a stray one: the record is cut at the end of that quote's line and
 * emitted as `broken`, and framing restarts on the next line.
 *
 * Known limit: a stray quote that a second stray quote "closes" properly a few lines later (e.g.
 * `Jane,"Doe,acme.com` … `Bob,Lee",acme.com`) merges those lines into one row.
 *
 * Line breaks are LF, CRLF or a lone CR; each counts as one line.
 */
export class RecordFramer {
  readonly delimiter: string;
  /** Empty or whitespace-only lines between records. */
  blankLines = 0;
  #d: number;
  #buf = '';
  #pos = 0;
  #recStart = 0;
  #recLine = 1;
  #line = 1;
  #inQuotes = false;
  #fieldStart = true;
  #quotePos = 0;
  #quoteLine = 0;
  #quoteBreaks = 0;
  #quoteBreakAt = 0;
  #quoteLineEnd = 0;
  #ended = false;

  constructor(delimiter: string) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
      throw new TypeError(`delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter;
    this.#d = delimiter.charCodeAt(0);
  }

  push(text: string): Frame[] {
    if (this.#ended) throw new Error('RecordFramer.push after end()');
    this.#buf = this.#recStart > 0 ? this.#buf.slice(this.#recStart) + text : this.#buf + text;
    this.#rebase();
    return this.#scan(false);
  }

  end(): Frame[] {
    if (this.#ended) return [];
    this.#ended = true;
    const out = this.#scan(true);
    this.#buf = '';
    return out;
  }

  /** Makes offsets relative to the current record, whose text is all that `buf` still holds. */
  #rebase(): void {
    const shift = this.#recStart;
    if (shift === 0) return;
    this.#pos -= shift;
    this.#quotePos -= shift;
    this.#quoteBreakAt -= shift;
    this.#quoteLineEnd -= shift;
    this.#recStart = 0;
  }

  #scan(eof: boolean): Frame[] {
    const out: Frame[] = [];
    const buf = this.#buf;
    const n = buf.length;
    const d = this.#d;
    let pos = this.#pos;
    let line = this.#line;
    let inQuotes = this.#inQuotes;
    let fieldStart = this.#fieldStart;
    let quoteBreaks = this.#quoteBreaks;

    const emit = (end: number) => {
      const text = buf.slice(this.#recStart, end);
      if (text.trim() === '') this.blankLines++;
      else out.push({ kind: 'record', text, line: this.#recLine });
    };
    // Gives up on the open quote: emit its record cut at the end of the quote's line, restart after it.
    const recover = () => {
      const cut = quoteBreaks > 0 ? this.#quoteBreakAt : n;
      out.push({
        kind: 'broken',
        text: buf.slice(this.#recStart, cut),
        line: this.#recLine,
        quoteAt: this.#quotePos - this.#recStart,
        quoteLine: this.#quoteLine,
      });
      pos = quoteBreaks > 0 ? this.#quoteLineEnd : n;
      line = this.#quoteLine + (quoteBreaks > 0 ? 1 : 0);
      this.#recStart = pos;
      this.#recLine = line;
      inQuotes = false;
      fieldStart = true;
      quoteBreaks = 0;
    };

    for (;;) {
      while (pos < n) {
        const c = buf.charCodeAt(pos);
        if (inQuotes) {
          if (c === QUOTE) {
            if (pos + 1 >= n && !eof) break; // `""` or a closing quote: the next char decides
            const next = pos + 1 < n ? buf.charCodeAt(pos + 1) : -1;
            if (next === QUOTE) {
              pos += 2;
              continue;
            }
            if (next === d || next === CR || next === LF || next === -1) {
              inQuotes = false;
              fieldStart = false;
              pos++;
              continue;
            }
            if (quoteBreaks > 0) {
              // `"…<line break>…"x`: the quote that closed is really another field's opening quote.
              recover();
              continue;
            }
            inQuotes = false;
            fieldStart = false;
            pos++;
            continue;
          }
          if (c === CR || c === LF) {
            let len = 1;
            if (c === CR) {
              if (pos + 1 >= n && !eof) break; // CR LF may straddle chunks
              if (buf.charCodeAt(pos + 1) === LF) len = 2;
            }
            quoteBreaks++;
            if (quoteBreaks === 1) {
              this.#quoteBreakAt = pos;
              this.#quoteLineEnd = pos + len;
            }
            line++;
            pos += len;
            if (quoteBreaks > MAX_QUOTED_LINE_BREAKS) recover();
            continue;
          }
          pos++;
          continue;
        }
        if (c === QUOTE && fieldStart) {
          inQuotes = true;
          fieldStart = false;
          quoteBreaks = 0;
          this.#quotePos = pos;
          this.#quoteLine = line;
          pos++;
          continue;
        }
        if (c === d) {
          fieldStart = true;
          pos++;
          continue;
        }
        if (c === CR || c === LF) {
          let len = 1;
          if (c === CR) {
            if (pos + 1 >= n && !eof) break;
            if (buf.charCodeAt(pos + 1) === LF) len = 2;
          }
          emit(pos);
          pos += len;
          line++;
          this.#recStart = pos;
          this.#recLine = line;
          fieldStart = true;
          continue;
        }
        fieldStart = false;
        pos++;
      }
      if (eof && inQuotes) {
        recover();
        continue;
      }
      break;
    }

    if (eof) {
      if (this.#recStart < n) emit(n);
      this.#recStart = n;
    } else if (pos - this.#recStart > MAX_RECORD_CHARS) {
      if (inQuotes && quoteBreaks > 0) {
        recover();
      } else {
        throw new CsvError('line_too_long', `Line ${this.#recLine} is longer than ${MAX_RECORD_CHARS.toLocaleString('en-US')} characters, so this does not look like a list of contacts. Check that the file is a CSV export with one person per line.`);
      }
    }

    this.#pos = pos;
    this.#line = line;
    this.#inQuotes = inQuotes;
    this.#fieldStart = fieldStart;
    this.#quoteBreaks = quoteBreaks;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Cells

interface SplitFrame {
  frame: Frame;
  cells: string[];
  /** Set when the record could not be read as written. */
  problem?: string;
}

function parseOptions(delimiter: string) {
  return {
    delimiter,
    // The framer has already cut records; joined with LF they are one record per line.
    record_delimiter: '\n',
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    bom: false,
    max_record_size: 0,
  } as const;
}

/**
 * Cells for a batch of frames. Good records go through csv-parse in one call (one call per chunk,
 * not per row); broken ones are split loosely so the user still sees their data.
 */
function splitFrames(frames: readonly Frame[], delimiter: string): SplitFrame[] {
  const options = parseOptions(delimiter);
  const records = frames.filter((f) => f.kind === 'record');
  let parsed: string[][] | undefined;
  if (records.length > 0) {
    try {
      const out = parse(records.map((f) => f.text).join('\n'), options) as string[][];
      if (out.length === records.length) parsed = out;
    } catch {
      // Fall back to one record at a time below, to pin the error on its line.
    }
  }
  let next = 0;
  return frames.map((frame): SplitFrame => {
    if (frame.kind === 'broken') {
      return {
        frame,
        cells: cleanCells(looseCells(frame.text, frame.quoteAt, delimiter)),
        problem: `unclosed quote (") on line ${frame.quoteLine}`,
      };
    }
    const index = next++;
    if (parsed) return { frame, cells: cleanCells(parsed[index]) };
    try {
      const one = parse(frame.text, options) as string[][];
      return { frame, cells: cleanCells(one[0] ?? ['']) };
    } catch (err) {
      return {
        frame,
        cells: cleanCells(frame.text.split(delimiter)),
        problem: `could not read line ${frame.line}: ${(err as Error).message}`,
      };
    }
  });
}

/**
 * Best-effort cells of a record with a stray quote: fields before the quote are parsed normally,
 * the rest is split at each delimiter with the quote kept as text, so no character is lost.
 */
function looseCells(text: string, quoteAt: number, delimiter: string): string[] {
  const before = text.slice(0, quoteAt);
  const rest = text.slice(quoteAt).split(delimiter);
  if (before === '') return rest;
  try {
    const parsed = parse(before, parseOptions(delimiter)) as string[][];
    // `before` ends with the delimiter that opened the quoted field: drop the empty cell after it.
    const head = parsed.length === 1 ? parsed[0].slice(0, -1) : before.split(delimiter).slice(0, -1);
    return [...head, ...rest];
  } catch {
    return text.split(delimiter);
  }
}

/** Postgres text cannot hold NUL, and a NUL is never meaningful in a contact list. */
function cleanCells(cells: string[]): string[] {
  for (let i = 0; i < cells.length; i++) {
    if (cells[i].includes('\0')) cells[i] = cells[i].replaceAll('\0', '');
  }
  return cells;
}
