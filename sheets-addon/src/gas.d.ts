/**
 * The Apps Script services the add-on uses, declared as far as it uses them (the full
 * @types/google-apps-script is not a dependency). At run time Apps Script provides them; in
 * tests, stand-ins in test/fakes/apps-script.ts do.
 */
/** The backend's base URL, baked in by `npm run addon:build` from PUBLIC_URL. */
declare const __TOOFR_BACKEND_URL__: string;

declare namespace GoogleAppsScript {
  interface Range {
    getDisplayValues(): string[][];
    setValues(values: unknown[][]): Range;
  }
  interface Sheet {
    getSheetId(): number;
    getName(): string;
    getDataRange(): Range;
    getLastColumn(): number;
    getRange(row: number, column: number, numRows?: number, numColumns?: number): Range;
  }
  interface Spreadsheet {
    getId(): string;
    getActiveSheet(): Sheet;
  }
  interface Menu {
    addItem(caption: string, functionName: string): Menu;
    addToUi(): void;
  }
  interface Ui {
    createAddonMenu(): Menu;
    showSidebar(output: HtmlOutput): void;
  }
  interface HtmlOutput {
    setTitle(title: string): HtmlOutput;
  }
  interface Properties {
    getProperty(key: string): string | null;
    setProperty(key: string, value: string): Properties;
    deleteProperty(key: string): Properties;
  }
  interface HTTPResponse {
    getResponseCode(): number;
    getContentText(): string;
  }
  interface Trigger {
    getHandlerFunction(): string;
  }
  interface ClockTriggerBuilder {
    everyHours(n: number): ClockTriggerBuilder;
    create(): Trigger;
  }
  interface TriggerBuilder {
    timeBased(): ClockTriggerBuilder;
  }
}

declare const SpreadsheetApp: {
  getActiveSpreadsheet(): GoogleAppsScript.Spreadsheet;
  getUi(): GoogleAppsScript.Ui;
};
declare const HtmlService: {
  createHtmlOutputFromFile(name: string): GoogleAppsScript.HtmlOutput;
};
declare const PropertiesService: {
  getDocumentProperties(): GoogleAppsScript.Properties;
  getUserProperties(): GoogleAppsScript.Properties;
};
declare const UrlFetchApp: {
  fetch(
    url: string,
    params: { method: 'get' | 'post'; contentType?: string; payload?: string; headers?: Record<string, string>; muteHttpExceptions?: boolean },
  ): GoogleAppsScript.HTTPResponse;
};
declare const ScriptApp: {
  getIdentityToken(): string | null;
  getOAuthToken(): string;
  getProjectTriggers(): GoogleAppsScript.Trigger[];
  newTrigger(functionName: string): GoogleAppsScript.TriggerBuilder;
  deleteTrigger(trigger: GoogleAppsScript.Trigger): void;
};
