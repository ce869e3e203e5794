/**
 * npm run addon:build: bundles the add-on for Apps Script into sheets-addon/dist/, the folder
 * clasp pushes (.clasp.json rootDir). clasp 3 no longer compiles TypeScript, so esbuild does:
 * one classic script (Code.js) whose top-level functions are what Apps Script calls, the
 * sidebar (Sidebar.html) and the manifest with the backend's URL allowed (urlFetchWhitelist).
 *
 * The backend URL is PUBLIC_URL, read through core/config.ts like every setting. Offline.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Functions Apps Script must see at top level: menu items, google.script.run calls, triggers. */
export const ENTRY_POINTS = ['onOpen', 'onInstall', 'showSidebar', 'getSheetContext', 'startRun', 'pollRun', 'toofrRefreshToken'] as const;

export async function buildAddon(opts: { publicUrl: string; outDir?: string }): Promise<string> {
  const outDir = opts.outDir ?? path.join(HERE, 'dist');
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  if (!/^https:\/\//.test(publicUrl) && !/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(publicUrl)) {
    throw new Error(`PUBLIC_URL must be an https:// URL for the add-on (Apps Script only fetches https), got ${publicUrl}`);
  }
  await mkdir(outDir, { recursive: true });
  const stubs = ENTRY_POINTS.map((name) => `function ${name}() { return __toofr.${name}.apply(this, arguments); }`).join('\n');
  const result = await build({
    entryPoints: [path.join(HERE, 'src/main.ts')],
    bundle: true,
    format: 'iife',
    globalName: '__toofr',
    // Apps Script's V8 runtime; es2019 also lowers ?. and ?? in case its parser lags.
    target: 'es2019',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    define: { __TOOFR_BACKEND_URL__: JSON.stringify(publicUrl) },
    // Header folding only needs diacritics removed; see src/any-ascii-lite.ts.
    alias: { 'any-ascii': path.join(HERE, 'src/any-ascii-lite.ts') },
    legalComments: 'none',
    footer: { js: `\n// Apps Script calls top-level functions only.\n${stubs}\n` },
    write: false,
    charset: 'utf8',
  });
  const code = result.outputFiles[0]!.text;
  await writeFile(path.join(outDir, 'Code.js'), code);
  await copyFile(path.join(HERE, 'src/Sidebar.html'), path.join(outDir, 'Sidebar.html'));
  const manifest = (await readFile(path.join(HERE, 'appsscript.json'), 'utf8')).replace('__PUBLIC_URL__', publicUrl);
  await writeFile(path.join(outDir, 'appsscript.json'), manifest);
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { settingsOrExit } = await import('../core/config.ts');
  const settings = settingsOrExit();
  const out = await buildAddon({ publicUrl: settings.publicUrl });
  process.stdout.write(`Add-on built in ${path.relative(process.cwd(), out)} for ${settings.publicUrl} — push it with npm run addon:push\n`);
}
