/** Human-readable answers for the terminal; `--json` prints the answer objects as they are. */
import type { FindAnswer, PatternAnswer, ScorePart, VerifyAnswer } from '../core/engine/types.ts';

const parts = (p: ScorePart[]) => p.map((s) => `${s.part} ${s.points >= 0 ? '+' : ''}${s.points}`).join(', ');

export function formatFind(a: FindAnswer): string {
  const lines: string[] = [];
  if (a.email) {
    lines.push(`${a.email}  ${a.verification}  confidence ${a.confidence}  (${a.status})`);
    if (a.pattern) lines.push(`pattern ${a.pattern}${a.mx.length ? ` · mail servers ${a.mx.join(', ')}` : ''}`);
    if (a.score_parts.length) lines.push(`score: ${parts(a.score_parts)}`);
  } else {
    lines.push(`no address found (${a.status})`);
  }
  if (a.reason) lines.push(`why: ${a.reason}`);
  const others = a.candidates.filter((c) => c.email !== a.email).slice(0, 5);
  if (others.length) {
    lines.push('other candidates:');
    for (const c of others) lines.push(`  ${c.email}  ${c.verification ?? 'not checked'}  ${Math.round(c.prior * 100)}% prior`);
  }
  return lines.join('\n');
}

export function formatVerify(v: VerifyAnswer): string {
  const lines = [`${v.email}  ${v.verification}  confidence ${v.confidence}`];
  if (v.flags.length) lines.push(`flags: ${v.flags.join(', ')}`);
  if (v.accept_all !== null) lines.push(v.accept_all ? 'the domain accepts every address (catch-all)' : 'the domain rejects unknown addresses');
  if (v.reason) lines.push(`server: ${v.reason}`);
  if (v.retry_after_seconds) lines.push(`temporary answer: try again in ${v.retry_after_seconds} s`);
  if (v.mx.length) lines.push(`mail servers: ${v.mx.join(', ')}`);
  return lines.join('\n');
}

export function formatPattern(p: PatternAnswer): string {
  const lines = [p.pattern ? `${p.domain}: ${p.pattern}` : `${p.domain}: no pattern known`];
  for (const e of p.evidence.slice(0, 8)) lines.push(`  ${e.pattern}  ${e.count} address${e.count === 1 ? '' : 'es'}`);
  if (p.accept_all !== null) lines.push(p.accept_all ? 'accepts every address (catch-all)' : 'rejects unknown addresses');
  if (p.mx.length) lines.push(`mail servers: ${p.mx.join(', ')}`);
  if (p.reason) lines.push(p.reason);
  return lines.join('\n');
}
