/**
 * The engine benchmark's mail world, in a process of its own (forked by engine-mailworld.ts).
 *
 * Why a separate process: the world's 300-odd SMTP servers (TLS handshakes included) would
 * otherwise share one event loop with the engine and the worker they are measuring, and every
 * reply the engine waits for would wait behind the servers' own work as well. Real mail servers
 * are on other machines.
 *
 * Protocol (IPC messages): the parent sends { id, op: 'stats' | 'reset' | 'stop' }, the child
 * answers { id, ok, value } — after sending { op: 'ready', world } once at start.
 */
import { startMailWorld } from '../mailworld/index.ts';
import { buildBenchWorld } from './engine-world.ts';

const [seed, domains, perDomain, cap, latencyMs] = process.argv.slice(2).map(Number);
const bench = buildBenchWorld(seed!, domains!, perDomain!, cap!);
const world = await startMailWorld({ world: bench.spec, latencyMs });
const cpu0 = process.cpuUsage();

const send = (msg: unknown) => process.send!(msg);

function stats() {
  const cpu = process.cpuUsage(cpu0);
  return {
    totals: world.stats.totals(),
    hosts: world.stats.hosts.map((h) => ({ name: h.name, domain: h.domain, behaviour: h.behaviour, peak: h.peak, refused: h.refused })),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

process.on('message', (msg: { id: number; op: 'stats' | 'reset' | 'stop' }) => {
  void (async () => {
    try {
      if (msg.op === 'stats') {
        send({ id: msg.id, ok: true, value: stats() });
      } else if (msg.op === 'reset') {
        await world.stats.whenIdle();
        world.stats.reset();
        send({ id: msg.id, ok: true, value: null });
      } else if (msg.op === 'stop') {
        await world.stop();
        send({ id: msg.id, ok: true, value: null });
        process.disconnect?.();
      }
    } catch (err) {
      send({ id: msg.id, ok: false, value: String(err) });
    }
  })();
});

// The parent goes away without saying so (Ctrl-C, a crash): do not linger.
process.on('disconnect', () => void world.stop().finally(() => process.exit(0)));

send({ op: 'ready', world: { env: world.env, domains: world.domains, smtpPort: world.smtpPort } });
