/**
 * The notifiers of every list source that has one, built from the settings: each integration
 * adds its line here, and is left out when its settings are absent.
 */
import type { Settings } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { Pool } from '../../core/db/pool.ts';
import type { Notifiers } from './types.ts';
import { createCallbackNotifier } from './callback.ts';
import { createSlackNotifier } from './slack.ts';
import { createSheetsNotifier } from './sheets.ts';

export interface NotifierDeps {
  settings: Settings;
  pool: Pool;
  log: Logger;
}

export function createNotifiers(deps: NotifierDeps): Notifiers {
  const notifiers: Notifiers = {};
  // (one line per integration, e.g. notifiers.slack = createSlackNotifier(deps);)
  notifiers.api = createCallbackNotifier(deps);
  notifiers.slack = createSlackNotifier(deps);
  if (deps.settings.google.enabled) notifiers.sheets = createSheetsNotifier(deps);
  return notifiers;
}
