/**
 * Turns the bytes of an uploaded file into text, as a stream.
 *
 * People upload whatever their spreadsheet wrote: UTF-8 (with or without the BOM Excel adds),
 * UTF-16 ("Unicode text" in Excel), or Windows-1252 (Excel's "CSV" on a Western-European
 * Windows). The encoding is decided once, from the first 64 KB, so the rest can be streamed.
 *
 * Invalid UTF-8 after the sample does not throw and is not replaced by U+FFFD: in UTF-8 mode every
 * byte that is not part of a valid UTF-8 sequence is read as Windows-1252 instead (see
 * Utf8RepairingDecoder). A file assembled from two exports (mostly UTF-8, one pasted block in
 * Windows-1252) therefore comes out right on both parts, and no row is lost. The count of such
 * bytes is kept so callers can log it.
 *
 * Files that are not text at all (an .xlsx, a PDF, a web page saved by mistake) are recognised
 * here and reported through `notText`; the caller turns that into a message for the user.
 */
import { isUtf8 } from 'node:buffer';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export type NotTextKind = 'xlsx' | 'xls' | 'ods' | 'zip' | 'pdf' | 'gzip' | 'image' | 'html' | 'utf-32' | 'binary';

export interface NotText {
  kind: NotTextKind;
  /** A sentence for the user: what the file looks like and what to do instead. */
  message: string;
}

export interface DecodedText {
  encoding: TextEncodingName;
  /** Whether the file started with a byte order mark (it is not part of `text`). */
  bom: boolean;
  /** Set when the bytes are not a text file; `text` should then not be read. */
  notText?: NotText;
  /** The decoded text, chunk by chunk, without the BOM. Reading it to the end closes the source. */
  text: AsyncIterable<string>;
  /**
   * UTF-8 mode only: how many bytes so far were not valid UTF-8 and were read as Windows-1252.
   * Grows while `text` is read; final once it has been read to the end.
   */
  readonly repairedBytes: number;
  /** Stops reading the source (e.g. a file handle) when the text will not be read to the end. */
  close(): Promise<void>;
}

export interface DecodeOptions {
  /** How many leading bytes decide the encoding. Default 64 KiB. */
  sampleBytes?: number;
}

const DEFAULT_SAMPLE_BYTES = 64 * 1024;

/** Windows-1252 as the WHATWG Encoding Standard defines it: the 5 unassigned bytes map to C1 controls, so nothing becomes U+FFFD. */
const CP1252 = new TextDecoder('windows-1252').decode(Uint8Array.from({ length: 256 }, (_, i) => i));

/**
 * Reads the first `sampleBytes` of `source`, decides the encoding and returns the text stream.
 * Only the sample is buffered; memory stays bounded whatever the file size.
 */
export async function decodeStream(source: AsyncIterable<Uint8Array>, opts: DecodeOptions = {}): Promise<DecodedText> {
  const sampleBytes = opts.sampleBytes ?? DEFAULT_SAMPLE_BYTES;
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let exhausted = false;
  try {
    while (headLength < sampleBytes) {
      const r = await it.next();
      if (r.done) {
        exhausted = true;
        break;
      }
      const chunk = toBuffer(r.value);
      head.push(chunk);
      headLength += chunk.length;
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  const sample = Buffer.concat(head, headLength);
  const detected = detectEncoding(sample, exhausted);
  const bomLength = detected.bom ? (detected.encoding === 'utf-8' ? 3 : 2) : 0;

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await it.return?.();
  };

  const repairing = new Utf8RepairingDecoder();
  const decoder: ChunkDecoder =
    detected.encoding === 'utf-8' ? repairing : new WebDecoder(detected.encoding);

  async function* text(): AsyncGenerator<string> {
    try {
      const first = decoder.write(sample.subarray(bomLength));
      if (first) yield first;
      while (!exhausted) {
        const r = await it.next();
        if (r.done) break;
        const s = decoder.write(toBuffer(r.value));
        if (s) yield s;
      }
      exhausted = true;
      const rest = decoder.end();
      if (rest) yield rest;
    } finally {
      // Reached on normal end, on error, and when the consumer stops early (break / return()).
      if (!exhausted) await close();
      else closed = true;
    }
  }

  return {
    encoding: detected.encoding,
    bom: detected.bom,
    ...(detected.notText ? { notText: detected.notText } : {}),
    text: text(),
    get repairedBytes() {
      return repairing.repaired;
    },
    close,
  };
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') {
    // A stream opened with an encoding has already guessed (often wrongly); we need the bytes.
    throw new TypeError('decodeStream needs bytes, got text: open the file or response without an encoding');
  }
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export interface DetectedEncoding {
  encoding: TextEncodingName;
  bom: boolean;
  notText?: NotText;
}

/**
 * Decides how to read a file from its first bytes. `complete` says the sample is the whole file,
 * so a multi-byte sequence cut at its end is an error rather than the sample boundary.
 *
 * Order matters: a BOM is the strongest signal; then file signatures of formats people upload
 * instead of CSV; then UTF-16 without BOM (its NUL bytes would otherwise read as "binary");
 * then NUL bytes; then UTF-8 versus Windows-1252.
 */
export function detectEncoding(sample: Buffer, complete: boolean): DetectedEncoding {
  if (startsWith(sample, [0xff, 0xfe, 0x00, 0x00]) || startsWith(sample, [0x00, 0x00, 0xfe, 0xff])) {
    return notText('utf-32', 'This file is saved as UTF-32, which is not supported. Save it as "CSV UTF-8" and upload it again.');
  }
  if (startsWith(sample, [0xef, 0xbb, 0xbf])) return { encoding: 'utf-8', bom: true };
  if (startsWith(sample, [0xff, 0xfe])) return { encoding: 'utf-16le', bom: true };
  if (startsWith(sample, [0xfe, 0xff])) return { encoding: 'utf-16be', bom: true };

  const signature = recogniseSignature(sample);
  if (signature) return { encoding: 'utf-8', bom: false, notText: signature };

  const utf16 = guessBomlessUtf16(sample);
  if (utf16) return { encoding: utf16, bom: false };

  if (sample.includes(0)) {
    return notText('binary', 'This file does not look like text (it contains NUL bytes). Upload a CSV file: in Excel or Google Sheets, use File → Save As / Download → CSV.');
  }

  const { multiByte, invalid } = scanUtf8(sample, complete);
  // A real Windows-1252 file almost never contains valid UTF-8 multi-byte sequences (they would be
  // pairs like "Ã©"), while a UTF-8 file with one pasted Windows-1252 block has many valid
  // sequences and a few invalid bytes. Such a file stays UTF-8; the repairing decoder handles the block.
  if (invalid === 0 || multiByte >= invalid) return { encoding: 'utf-8', bom: false };
  return { encoding: 'windows-1252', bom: false };
}

function notText(kind: NotTextKind, message: string): DetectedEncoding {
  return { encoding: 'utf-8', bom: false, notText: { kind, message } };
}

function startsWith(buf: Buffer, bytes: number[]): boolean {
  if (buf.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[i] !== bytes[i]) return false;
  return true;
}

const EXPORT_AS_CSV = 'open it in Excel, Numbers or Google Sheets and export it as CSV (File → Save As / Download → CSV), then upload the .csv file';

function recogniseSignature(sample: Buffer): NotText | undefined {
  if (startsWith(sample, [0x50, 0x4b, 0x03, 0x04]) || startsWith(sample, [0x50, 0x4b, 0x05, 0x06])) {
    // Zip local headers carry the member names in clear, so the first KB tells workbooks apart.
    const names = sample.subarray(0, 4096).toString('latin1');
    if (names.includes('xl/') || names.includes('[Content_Types].xml')) {
      return { kind: 'xlsx', message: `This looks like an Excel workbook (.xlsx), not a CSV file: ${EXPORT_AS_CSV}.` };
    }
    if (names.includes('opendocument.spreadsheet')) {
      return { kind: 'ods', message: `This looks like an OpenDocument spreadsheet (.ods), not a CSV file: ${EXPORT_AS_CSV}.` };
    }
    return { kind: 'zip', message: 'This is a zip archive, not a CSV file. Unzip it and upload the .csv file inside (or export your spreadsheet as CSV).' };
  }
  if (startsWith(sample, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    return { kind: 'xls', message: `This looks like an old Excel workbook (.xls), not a CSV file: ${EXPORT_AS_CSV}.` };
  }
  if (startsWith(sample, [0x25, 0x50, 0x44, 0x46, 0x2d])) {
    return { kind: 'pdf', message: 'This is a PDF, not a CSV file. Export the list from the spreadsheet or tool it came from as CSV and upload that.' };
  }
  if (startsWith(sample, [0x1f, 0x8b])) {
    return { kind: 'gzip', message: 'This file is gzip-compressed. Decompress it and upload the .csv file.' };
  }
  if (startsWith(sample, [0x89, 0x50, 0x4e, 0x47]) || startsWith(sample, [0xff, 0xd8, 0xff]) || startsWith(sample, [0x47, 0x49, 0x46, 0x38])) {
    return { kind: 'image', message: 'This is an image, not a CSV file. Upload the list as a .csv file.' };
  }
  // A sign-in or error page saved instead of the file (e.g. an expired download link).
  const start = sample.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) {
    return { kind: 'html', message: 'This is a web page (HTML), not a CSV file; the download may have needed a sign-in. Download the CSV again and upload that file.' };
  }
  return undefined;
}

/**
 * UTF-16 without a BOM: text that is mostly ASCII has a NUL in every other byte. Only a clear
 * majority counts, so a binary file with scattered NULs is not mistaken for text.
 */
function guessBomlessUtf16(sample: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const n = Math.min(sample.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenZero++;
    if (sample[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero / pairs > 0.6 && evenZero / pairs < 0.05) return 'utf-16le';
  if (evenZero / pairs > 0.6 && oddZero / pairs < 0.05) return 'utf-16be';
  return undefined;
}

/**
 * Length of the valid UTF-8 sequence starting at `i` (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0 if the bytes there are not valid UTF-8. A sequence cut by the end
 * of `buf` also gives 0.
 */
function utf8SequenceLength(buf: Uint8Array, i: number): number {
  const b = buf[i];
  if (b < 0x80) return 1;
  const n = buf.length;
  const cont = (j: number) => j < n && (buf[j] & 0xc0) === 0x80;
  if (b >= 0xc2 && b <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    if (i + 1 >= n) return 0;
    const b1 = buf[i + 1];
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    if (i + 1 >= n) return 0;
    const b1 = buf[i + 1];
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return b1 >= lo && b1 <= hi && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/**
 * How many bytes at the end of `buf` start a multi-byte sequence that the next chunk may complete.
 * Those bytes are held back rather than judged.
 */
function incompleteTailLength(buf: Uint8Array): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = buf[i];
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc2 || b > 0xf4) return 0;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return n - i < need ? n - i : 0;
  }
  return 0;
}

function scanUtf8(sample: Buffer, complete: boolean): { multiByte: number; invalid: number } {
  const end = complete ? sample.length : sample.length - incompleteTailLength(sample);
  const body = sample.subarray(0, end);
  if (isUtf8(body)) {
    let multiByte = 0;
    for (let i = 0; i < body.length; i++) if (body[i] >= 0xc2 && body[i] <= 0xf4) multiByte++;
    return { multiByte, invalid: 0 };
  }
  let multiByte = 0;
  let invalid = 0;
  for (let i = 0; i < body.length; ) {
    const len = utf8SequenceLength(body, i);
    if (len === 0) {
      invalid++;
      i++;
    } else {
      if (len > 1) multiByte++;
      i += len;
    }
  }
  return { multiByte, invalid };
}

interface ChunkDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

/** UTF-16 and Windows-1252 through the platform decoder; `stream: true` keeps pairs split across chunks. */
class WebDecoder implements ChunkDecoder {
  #decoder: TextDecoder;
  constructor(encoding: 'utf-16le' | 'utf-16be' | 'windows-1252') {
    // ignoreBOM: the BOM was already skipped; a second one would be content.
    this.#decoder = new TextDecoder(encoding, { ignoreBOM: true });
  }
  write(chunk: Buffer): string {
    return this.#decoder.decode(chunk, { stream: true });
  }
  end(): string {
    return this.#decoder.decode();
  }
}

/**
 * Streaming UTF-8 decoder that never fails: bytes that are not part of a valid UTF-8 sequence are
 * read as Windows-1252 (the usual culprit), one byte each. Valid chunks, the common case, take
 * the fast native path; only chunks with bad bytes are walked byte by byte.
 */
export class Utf8RepairingDecoder implements ChunkDecoder {
  /** Bytes read as Windows-1252 so far. */
  repaired = 0;
  #carry: Buffer | undefined;

  write(chunk: Buffer): string {
    const data = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
    const tail = incompleteTailLength(data);
    const body = data.subarray(0, data.length - tail);
    // Copy the tail: a subarray would keep the whole chunk alive until the next write.
    this.#carry = tail > 0 ? Buffer.from(data.subarray(data.length - tail)) : undefined;
    return this.#decode(body);
  }

  end(): string {
    const rest = this.#carry;
    this.#carry = undefined;
    // A sequence still incomplete at the end of the file was never UTF-8.
    return rest ? this.#decode(rest) : '';
  }

  #decode(body: Buffer): string {
    if (isUtf8(body)) return body.toString('utf8');
    let out = '';
    let runStart = 0;
    for (let i = 0; i < body.length; ) {
      const len = utf8SequenceLength(body, i);
      if (len > 0) {
        i += len;
        continue;
      }
      if (i > runStart) out += body.toString('utf8', runStart, i);
      out += CP1252[body[i]];
      this.repaired++;
      i++;
      runStart = i;
    }
    if (runStart < body.length) out += body.toString('utf8', runStart);
    return out;
  }
}
