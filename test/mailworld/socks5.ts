/**
 * A tiny SOCKS5 server (RFC 1928 CONNECT, RFC 1929 username/password) on loopback, so tests can
 * show the SMTP checker really goes through SMTP_PROXY. The `socks` package is client-only.
 * It records every CONNECT it is asked for.
 */
import net from 'node:net';

export interface Socks5Proxy {
  /** e.g. socks5://127.0.0.1:40000 (with user:pass@ when auth is on) */
  url: string;
  port: number;
  /** Destinations asked for, in order. */
  connects: { host: string; port: number }[];
  stop(): Promise<void>;
}

export async function startSocks5Proxy(opts: { username?: string; password?: string } = {}): Promise<Socks5Proxy> {
  const connects: { host: string; port: number }[] = [];
  const sockets = new Set<net.Socket>();
  const needAuth = opts.username !== undefined;

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let buf = Buffer.alloc(0);
    let state: 'greeting' | 'auth' | 'request' | 'connected' = 'greeting';

    const fail = (reply: number[]) => {
      client.end(Buffer.from(reply));
    };

    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (state === 'greeting') {
          if (buf.length < 2 || buf.length < 2 + buf[1]) return;
          const methods = [...buf.subarray(2, 2 + buf[1])];
          buf = buf.subarray(2 + buf[1]);
          const method = needAuth ? 0x02 : 0x00;
          if (!methods.includes(method)) return fail([0x05, 0xff]);
          client.write(Buffer.from([0x05, method]));
          state = needAuth ? 'auth' : 'request';
        } else if (state === 'auth') {
          if (buf.length < 2) return;
          const ulen = buf[1];
          if (buf.length < 3 + ulen) return;
          const plen = buf[2 + ulen];
          if (buf.length < 3 + ulen + plen) return;
          const user = buf.subarray(2, 2 + ulen).toString();
          const pass = buf.subarray(3 + ulen, 3 + ulen + plen).toString();
          buf = buf.subarray(3 + ulen + plen);
          if (user !== opts.username || pass !== (opts.password ?? '')) return fail([0x01, 0x01]);
          client.write(Buffer.from([0x01, 0x00]));
          state = 'request';
        } else if (state === 'request') {
          if (buf.length < 5) return;
          const cmd = buf[1];
          const atyp = buf[3];
          const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : 1 + buf[4];
          if (buf.length < 4 + addrLen + 2) return;
          let host: string;
          if (atyp === 0x01) host = [...buf.subarray(4, 8)].join('.');
          else if (atyp === 0x04) host = (buf.subarray(4, 20).toString('hex').match(/.{4}/g) ?? []).join(':');
          else host = buf.subarray(5, 5 + buf[4]).toString();
          const port = buf.readUInt16BE(4 + addrLen);
          const rest = buf.subarray(4 + addrLen + 2);
          buf = Buffer.alloc(0);
          if (cmd !== 0x01) return fail([0x05, 0x07, 0x00, 0x01, 0, 0, 0, 0, 0, 0]); // CONNECT only
          connects.push({ host, port });
          state = 'connected';
          client.off('data', onData);
          client.pause();
          const upstream = net.connect({ host, port });
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
          upstream.once('error', () => fail([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0])); // connection refused
          upstream.once('connect', () => {
            upstream.removeAllListeners('error');
            upstream.on('error', () => client.destroy());
            client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
            if (rest.length) upstream.write(rest);
            client.pipe(upstream);
            upstream.pipe(client);
            client.resume();
          });
          return;
        } else {
          return;
        }
      }
    };
    client.on('data', onData);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const auth = needAuth ? `${encodeURIComponent(opts.username!)}:${encodeURIComponent(opts.password ?? '')}@` : '';
  return {
    url: `socks5://${auth}127.0.0.1:${port}`,
    port,
    connects,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
