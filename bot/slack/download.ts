/**
 * Downloads a file shared in Slack with the workspace's bot token. Slack answers a request it
 * does not accept (no token, missing files:read, the Authorization header lost on a redirect)
 * with 200 and an HTML sign-in page, not an error, so the content type is checked; the size is
 * checked before (from files.info) and while reading, so a huge file is never held in memory.
 */

export class DownloadError extends Error {
  readonly code: 'too_large' | 'login_page' | 'http';
  constructor(code: DownloadError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export function tooLargeMessage(filename: string, size: number, maxBytes: number): string {
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 1 : 0)} MB`;
  return `${filename} is ${mb(size)}; Toofr takes files up to ${mb(maxBytes)} here. Split it into smaller files and share them one by one (the operator can raise SLACK_MAX_FILE_MB).`;
}

export async function downloadFile(url: string, token: string, filename: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal });
  if (!res.ok) throw new DownloadError('http', `Slack answered ${res.status} when Toofr downloaded ${filename}; it will try again.`);
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/html')) {
    await res.body?.cancel();
    throw new DownloadError('login_page', `Slack sent a sign-in page instead of ${filename}: the app needs the files:read scope. Reinstall Toofr in this workspace (the manifest lists the scopes).`);
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new DownloadError('too_large', tooLargeMessage(filename, declared, maxBytes));
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > maxBytes) throw new DownloadError('too_large', tooLargeMessage(filename, size, maxBytes));
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}
