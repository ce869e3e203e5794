/**
 * Progress for long CLI work: a bar on a terminal, plain lines otherwise (CI logs, pipes), so
 * logs stay readable and a person at a terminal sees movement.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, extra?: string): void;
  stop(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | {extra} | ETA {eta_formatted}`, hideCursor: true, stream, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, extra = '') {
        if (!started) {
          bar.start(Math.max(total, 1), done, { extra });
          started = true;
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { extra });
      },
      stop: () => started && bar.stop(),
    };
  }
  // Not a terminal: a line when the percentage moves by 10 points or more.
  let lastPct = -10;
  return {
    update(done, total, extra = '') {
      const pct = total ? Math.floor((done / total) * 100) : 0;
      if (pct - lastPct >= 10 || (done === total && lastPct !== 100 && total > 0)) {
        lastPct = pct;
        stream.write(`${label}: ${done}/${total} (${pct}%)${extra ? ` ${extra}` : ''}\n`);
      }
    },
    stop: () => undefined,
  };
}
