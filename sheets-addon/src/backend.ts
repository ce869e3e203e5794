/**
 * Calls to Toofr's web process. Every call carries the user's Google identity token (who is
 * asking); calls that keep a run going also carry the user's access token (what the workers
 * write with). Failures become sentences a user can act on; results found so far are always
 * safe on the server, and the messages say so.
 */
const BACKEND = __TOOFR_BACKEND_URL__.replace(/\/+$/, '');

export class AddonError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function call<T>(path: string, body: unknown): T {
  const idToken = ScriptApp.getIdentityToken();
  if (!idToken) throw new AddonError('not_signed_in', 'Toofr could not get your Google sign-in. Reload the sheet and authorize the add-on again (Extensions → Toofr).');
  let res: GoogleAppsScript.HTTPResponse;
  try {
    res = UrlFetchApp.fetch(`${BACKEND}${path}`, {
      method: 'post',
      contentType: 'application/json',
      payload: JSON.stringify(body),
      headers: { Authorization: `Bearer ${idToken}` },
      muteHttpExceptions: true,
    });
  } catch {
    throw new AddonError('unreachable', 'Toofr\'s server could not be reached. Results found so far are saved and will be written; try again in a few minutes.');
  }
  const status = res.getResponseCode();
  let json: { message?: string } & Record<string, unknown> = {};
  try {
    json = JSON.parse(res.getContentText());
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  if (status >= 200 && status < 300) return json as T;
  if (status === 401) throw new AddonError('not_signed_in', json.message ?? 'Your Google sign-in was not accepted. Reload the sheet and open Toofr again.');
  if (status === 429) throw new AddonError('quota', json.message ?? 'Toofr is busy with your earlier requests. Wait a minute and try again; results found so far are kept.');
  if (status === 404) throw new AddonError('not_found', json.message ?? 'Toofr does not know this run any more. Start a new one.');
  if (status >= 400 && status < 500) throw new AddonError('bad_request', json.message ?? `Toofr refused the request (HTTP ${status}).`);
  throw new AddonError('unreachable', `Toofr's server had a problem (HTTP ${status}). Results found so far are saved; try again in a few minutes.`);
}
