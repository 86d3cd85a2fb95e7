/**
 * Syslog listeners: UDP (one datagram, one message), TCP and TLS (RFC 6587 octet counting and
 * newline framing, told apart frame by frame), RFC 3164 and RFC 5424 messages read by the syslog
 * reader, handed on in batches with backpressure on the stream listeners.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Issue, NewEvent } from '../../core/index.ts';
import { parseSyslogLine, withEventXml } from '../syslog.ts';
import { eventFromParsed, recordId } from '../wire/events.ts';

/** Where a batch or an issue came from. */
export interface SyslogMeta {
  /** `syslog-udp:<port>`, `syslog-tcp:<port>`, `syslog-tls:<port>` (the port bound). */
  readonly receiver: string;
  /** The peer, `address:port`. */
  readonly remote: string;
}

export interface SyslogOptions {
  /** The tenant every event of these listeners belongs to. */
  readonly tenant: string;
  /** Ports to listen on; 0 picks a free one (reported in `ports`). A listener is started per port given. */
  readonly udpPort?: number;
  readonly tcpPort?: number;
  readonly tlsPort?: number;
  /** PEM key and certificate; required with `tlsPort`. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Address to bind (default `0.0.0.0`). */
  readonly host?: string;
  /** Longest message accepted (default 64 KiB); longer ones are cut (newline framing) or skipped (octet counting). */
  readonly maxFrameBytes?: number;
  /** Events per batch before it is handed on at once (default 1000). */
  readonly batchSize?: number;
  /** Longest a message waits in a batch, ms (default 50). */
  readonly flushMs?: number;
  /**
   * Receives each batch. When it returns a promise, the TCP/TLS connection the batch came from
   * is paused until it settles (UDP cannot be paused: batches queue, and beyond 64 waiting ones
   * they are dropped with INGEST_BUSY). A rejection is reported through `onIssue` (INTERNAL).
   */
  readonly onEvents: (events: NewEvent[], meta: SyslogMeta) => void | Promise<void>;
  /** Receives every problem: SYSLOG_BAD_FRAME, INGEST_BUSY, INTERNAL. Never throws into the listener. */
  readonly onIssue: (issue: Issue, meta: SyslogMeta) => void;
  /** The clock (ms since the epoch): receive times, and the year of RFC 3164 timestamps. */
  readonly now?: () => number;
  /** On close, how long open connections may take to send what they have in flight, ms (default 1000). */
  readonly closeGraceMs?: number;
}

export interface SyslogListeners {
  /**
   * Stops accepting, half-closes open connections (reading what peers already sent, for up to
   * `closeGraceMs`), hands on what is batched and waits for it.
   */
  close(): Promise<void>;
  /** The ports bound, for the listeners started. */
  readonly ports: { readonly udp?: number; readonly tcp?: number; readonly tls?: number };
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/** Starts the listeners asked for. Rejects when a port cannot be bound (the others are closed). */
export async function startSyslog(opts: SyslogOptions): Promise<SyslogListeners> {
  const host = opts.host ?? '0.0.0.0';
  const closers: (() => Promise<void>)[] = [];
  const ports: { udp?: number; tcp?: number; tls?: number } = {};
  const startedAt = (opts.now ?? Date.now)();
  try {
    if (opts.udpPort !== undefined) {
      const l = await listenUdp(opts, host, opts.udpPort, startedAt);
      ports.udp = l.port;
      closers.push(l.close);
    }
    if (opts.tcpPort !== undefined) {
      const l = await listenStream(opts, host, opts.tcpPort, startedAt, 'tcp');
      ports.tcp = l.port;
      closers.push(l.close);
    }
    if (opts.tlsPort !== undefined) {
      const l = await listenStream(opts, host, opts.tlsPort, startedAt, 'tls');
      ports.tls = l.port;
      closers.push(l.close);
    }
  } catch (e) {
    await Promise.all(closers.map((c) => c()));
    throw e;
  }
  return {
    ports,
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Framing

/** A message cut out of a stream, or a stretch that could not be one. */
export type Frame =
  /** `cutFrom`: the message was cut to the limit; its full length, or -1 when the line never ended. */
  | { readonly kind: 'message'; readonly bytes: Uint8Array; readonly cutFrom?: number }
  | { readonly kind: 'bad'; readonly reason: string };

const LF = 10;
const CR = 13;
const NUL = 0;
const SPACE = 32;
const LT = 60;
/** An announced count beyond this is taken for garbage: resynchronise on the next line. */
const MAX_SKIP = 16 * 1024 * 1024;

/**
 * Splits a syslog byte stream into messages (RFC 6587). Each frame is either octet-counted —
 * `<count> <message>`, recognised by digits, a space and the `<` of a PRI — or ends at LF or NUL
 * (a CR before the LF is dropped). Messages over `maxFrameBytes` are cut (newline framing: the
 * rest of the line is skipped) or skipped whole (octet counting); a count over 16 MiB is taken for
 * garbage and the stream resynchronises on the next line.
 */
export class SyslogFramer {
  private buf: Uint8Array = new Uint8Array(0);
  /** Bytes still to drop of a skipped octet-counted frame. */
  private skipCount = 0;
  /** Dropping the rest of an over-long line. */
  private skipLine = false;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** The frames completed by `chunk`. */
  push(chunk: Uint8Array): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk);
    const out: Frame[] = [];
    for (;;) {
      if (this.skipCount > 0) {
        const n = Math.min(this.skipCount, this.buf.length);
        this.skipCount -= n;
        this.buf = this.buf.subarray(n);
        if (this.skipCount > 0) return out;
      }
      if (this.skipLine) {
        const end = lineEnd(this.buf);
        if (end === -1) {
          this.buf = new Uint8Array(0);
          return out;
        }
        this.buf = this.buf.subarray(end + 1);
        this.skipLine = false;
      }
      let i = 0;
      while (
        i < this.buf.length &&
        (this.buf[i] === LF || this.buf[i] === CR || this.buf[i] === NUL)
      )
        i++;
      if (i > 0) this.buf = this.buf.subarray(i);
      if (this.buf.length === 0) return out;
      const counted = this.octetCount();
      if (counted === 'wait') return out;
      if (counted !== undefined) {
        const { count, headerLength } = counted;
        if (count > MAX_SKIP) {
          out.push({
            kind: 'bad',
            reason: `octet count ${count} is not believable; skipped to the next line`,
          });
          this.skipLine = true;
          continue;
        }
        if (count > this.maxFrameBytes) {
          out.push({
            kind: 'bad',
            reason: `frame of ${count} bytes is over the ${this.maxFrameBytes}-byte limit; skipped`,
          });
          this.buf = this.buf.subarray(headerLength);
          this.skipCount = count;
          continue;
        }
        if (this.buf.length < headerLength + count) return out;
        out.push({ kind: 'message', bytes: this.buf.slice(headerLength, headerLength + count) });
        this.buf = this.buf.subarray(headerLength + count);
        continue;
      }
      const end = lineEnd(this.buf);
      if (end === -1) {
        if (this.buf.length > this.maxFrameBytes) {
          out.push(this.cut(this.buf, this.buf.length, true));
          this.buf = new Uint8Array(0);
          this.skipLine = true;
        }
        return out;
      }
      const stop = end > 0 && this.buf[end - 1] === CR ? end - 1 : end;
      out.push(
        stop > this.maxFrameBytes
          ? this.cut(this.buf, stop, false)
          : { kind: 'message', bytes: this.buf.slice(0, stop) },
      );
      this.buf = this.buf.subarray(end + 1);
    }
  }

  /** The frames left when the stream ends: a last line without its LF, or a truncated frame. */
  end(): Frame[] {
    const rest = this.buf;
    this.buf = new Uint8Array(0);
    if (rest.length === 0 || this.skipLine || this.skipCount > 0) return [];
    const counted = octetHeader(rest);
    if (counted !== undefined && counted !== 'wait') {
      return [{ kind: 'bad', reason: 'the connection closed inside an octet-counted frame' }];
    }
    const stop = rest[rest.length - 1] === CR ? rest.length - 1 : rest.length;
    if (stop === 0) return [];
    return [
      stop > this.maxFrameBytes
        ? this.cut(rest, stop, false)
        : { kind: 'message', bytes: rest.slice(0, stop) },
    ];
  }

  private octetCount(): { count: number; headerLength: number } | 'wait' | undefined {
    return octetHeader(this.buf);
  }

  /** The first maxFrameBytes of a too-long line, on a UTF-8 character boundary. */
  private cut(buf: Uint8Array, length: number, open: boolean): Frame {
    let stop = this.maxFrameBytes;
    while (stop > 0 && ((buf[stop] ?? 0) & 0xc0) === 0x80) stop--;
    return { kind: 'message', bytes: buf.slice(0, stop), cutFrom: open ? -1 : length };
  }
}

/** `<digits> <` at the start of `buf`: the count and header length; 'wait' while it may still be one. */
function octetHeader(
  buf: Uint8Array,
): { count: number; headerLength: number } | 'wait' | undefined {
  const first = buf[0] ?? 0;
  if (first < 0x31 || first > 0x39) return undefined;
  let j = 1;
  while (j < buf.length && j < 10 && (buf[j] ?? 0) >= 0x30 && (buf[j] ?? 0) <= 0x39) j++;
  if (j >= buf.length) return j < 10 ? 'wait' : undefined;
  if (buf[j] !== SPACE) return undefined;
  if (j + 1 >= buf.length) return 'wait';
  if (buf[j + 1] !== LT) return undefined;
  let count = 0;
  for (let k = 0; k < j; k++) count = count * 10 + ((buf[k] ?? 0) - 0x30);
  return { count, headerLength: j + 1 };
}

function lineEnd(buf: Uint8Array): number {
  const lf = buf.indexOf(LF);
  const nul = buf.indexOf(NUL);
  if (lf === -1) return nul;
  if (nul === -1) return lf;
  return Math.min(lf, nul);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages to events

const decoder = new TextDecoder('utf-8');
const PRI = /^\s*<\d{1,3}>/;

/**
 * The event of one message, or the issue that rejects it. A message the syslog reader cannot
 * read is still kept when it starts with a `<PRI>` (facility and severity are known; the time is
 * the receive time); without one it is not syslog at all: SYSLOG_BAD_FRAME.
 */
export function syslogMessage(
  text: string,
  ctx: {
    readonly tenant: string;
    readonly receiver: string;
    readonly remote: string;
    readonly receivedAt: number;
    readonly idPrefix: string;
    readonly seq: number;
  },
): { event?: NewEvent; issue?: Issue } {
  const parsed = withEventXml(parseSyslogLine(text, ctx.receivedAt));
  if (!parsed.ok && !PRI.test(text)) {
    return {
      issue: {
        code: 'SYSLOG_BAD_FRAME',
        severity: 'warning',
        message: `not a syslog message; skipped: ${clip(text)}`,
        at: { file: ctx.receiver, record: ctx.seq, path: ctx.remote },
      },
    };
  }
  parsed.fields['log.source.address'] = ctx.remote;
  const id = recordId(
    { line: ctx.seq, text },
    { idPrefix: ctx.idPrefix, position: String(ctx.seq) },
  );
  return {
    event: eventFromParsed(parsed, {
      tenant: ctx.tenant,
      receiver: ctx.receiver,
      receivedAt: ctx.receivedAt,
      id,
    }),
  };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

// ---------------------------------------------------------------------------------------------
// Batching and backpressure

/**
 * Hands batches on in order. A delivery that returns a promise makes the source busy until it
 * settles; batches pushed meanwhile wait behind it.
 */
class Delivery {
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;

  constructor(
    private readonly send: (events: NewEvent[]) => void | Promise<void>,
    private readonly onBusy: (busy: boolean) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  get waiting(): number {
    return this.inFlight;
  }

  push(events: NewEvent[]): void {
    let result: void | Promise<void>;
    if (this.inFlight === 0) {
      try {
        result = this.send(events);
      } catch (e) {
        this.onError(e);
        return;
      }
      if (!isThenable(result)) return;
    } else {
      result = this.chain.then(() => this.send(events));
    }
    this.inFlight++;
    if (this.inFlight === 1) this.onBusy(true);
    this.chain = Promise.resolve(result)
      .then(
        () => undefined,
        (e: unknown) => {
          this.onError(e);
        },
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.onBusy(false);
      });
  }

  /** Resolves when every batch pushed so far has been handed on. */
  drained(): Promise<void> {
    return this.chain;
  }
}

function isThenable(v: unknown): v is Promise<void> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Collects events and hands them on every `size` events or `ms` milliseconds. */
class Batcher {
  private events: NewEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly delivery: Delivery,
    private readonly size: number,
    private readonly ms: number,
  ) {}

  add(event: NewEvent): void {
    this.events.push(event);
    if (this.events.length >= this.size) this.flush();
    else
      this.timer ??= setTimeout(() => {
        this.flush();
      }, this.ms);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events.length === 0) return;
    const batch = this.events;
    this.events = [];
    this.delivery.push(batch);
  }
}

/** Batches a UDP listener lets wait before it drops new ones. */
const MAX_UDP_BACKLOG = 64;

interface Listening {
  readonly port: number;
  readonly close: () => Promise<void>;
}

function internal(e: unknown, meta: SyslogMeta): Issue {
  return {
    code: 'INTERNAL',
    severity: 'error',
    message: `handing on syslog events failed: ${e instanceof Error ? e.message : String(e)}`,
    at: { file: meta.receiver, path: meta.remote },
  };
}

function safeIssue(opts: SyslogOptions, issue: Issue, meta: SyslogMeta): void {
  try {
    opts.onIssue(issue, meta);
  } catch {
    // a failing issue sink must not take the listener down
  }
}

async function listenUdp(
  opts: SyslogOptions,
  host: string,
  port: number,
  startedAt: number,
): Promise<Listening> {
  const socket: UdpSocket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address().port;
  const receiver = `syslog-udp:${bound}`;
  const now = opts.now ?? Date.now;
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const meta: SyslogMeta = { receiver, remote: '' };
  const delivery = new Delivery(
    (events) => opts.onEvents(events, meta),
    () => undefined,
    (e) => {
      safeIssue(opts, internal(e, meta), meta);
    },
  );
  const batcher = new Batcher(delivery, opts.batchSize ?? 1000, opts.flushMs ?? 50);
  let seq = 0;
  socket.on('error', () => {
    // per-datagram errors (ICMP unreachable and the like) are not the listener's problem
  });
  socket.on('message', (msg, rinfo) => {
    seq++;
    const remote = `${rinfo.address}:${rinfo.port}`;
    if (delivery.waiting > MAX_UDP_BACKLOG) {
      safeIssue(
        opts,
        {
          code: 'INGEST_BUSY',
          severity: 'error',
          message: 'ingest is not keeping up; a UDP syslog message was dropped',
          at: { file: receiver, record: seq, path: remote },
        },
        { receiver, remote },
      );
      return;
    }
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === LF || msg[end - 1] === CR || msg[end - 1] === NUL)) end--;
    if (end === 0) return;
    let bytes: Uint8Array = msg.subarray(0, end);
    if (bytes.length > max) {
      safeIssue(opts, tooLong(receiver, remote, seq, bytes.length, max), { receiver, remote });
      let stop = max;
      while (stop > 0 && ((bytes[stop] ?? 0) & 0xc0) === 0x80) stop--;
      bytes = bytes.subarray(0, stop);
    }
    const r = syslogMessage(decoder.decode(bytes), {
      tenant: opts.tenant,
      receiver,
      remote,
      receivedAt: now(),
      idPrefix: `${receiver}|${startedAt}|udp`,
      seq,
    });
    if (r.issue) safeIssue(opts, r.issue, { receiver, remote });
    if (r.event) batcher.add(r.event);
  });
  return {
    port: bound,
    close: async () => {
      await new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      });
      batcher.flush();
      await delivery.drained();
    },
  };
}

function tooLong(
  receiver: string,
  remote: string,
  seq: number,
  length: number | undefined,
  max: number,
): Issue {
  const what = length === undefined ? 'a line' : `a message of ${length} bytes`;
  return {
    code: 'SYSLOG_BAD_FRAME',
    severity: 'warning',
    message: `${what} is over the ${max}-byte limit; kept the first ${max} bytes`,
    at: { file: receiver, record: seq, path: remote },
  };
}

async function listenStream(
  opts: SyslogOptions,
  host: string,
  port: number,
  startedAt: number,
  kind: 'tcp' | 'tls',
): Promise<Listening> {
  const sockets = new Set<Socket>();
  const pending = new Set<Promise<void>>();
  let connections = 0;
  let receiver = `syslog-${kind}:${port}`;
  const now = opts.now ?? Date.now;
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;

  const onConnection = (socket: Socket): void => {
    const connection = ++connections;
    const remote = `${socket.remoteAddress ?? '?'}:${String(socket.remotePort ?? 0)}`;
    const meta: SyslogMeta = { receiver, remote };
    const idPrefix = `${receiver}|${startedAt}|${connection}`;
    sockets.add(socket);
    const framer = new SyslogFramer(max);
    let ended = false;
    const delivery = new Delivery(
      (events) => opts.onEvents(events, meta),
      (busy) => {
        if (ended) return;
        if (busy) socket.pause();
        else socket.resume();
      },
      (e) => {
        safeIssue(opts, internal(e, meta), meta);
      },
    );
    const batcher = new Batcher(delivery, opts.batchSize ?? 1000, opts.flushMs ?? 50);
    let seq = 0;
    const take = (frames: readonly Frame[]): void => {
      for (const frame of frames) {
        seq++;
        if (frame.kind === 'bad') {
          safeIssue(
            opts,
            {
              code: 'SYSLOG_BAD_FRAME',
              severity: 'warning',
              message: frame.reason,
              at: { file: receiver, record: seq, path: remote },
            },
            meta,
          );
          continue;
        }
        if (frame.cutFrom !== undefined) {
          const length = frame.cutFrom === -1 ? undefined : frame.cutFrom;
          safeIssue(opts, tooLong(receiver, remote, seq, length, max), meta);
        }
        const r = syslogMessage(decoder.decode(frame.bytes), {
          tenant: opts.tenant,
          receiver,
          remote,
          receivedAt: now(),
          idPrefix,
          seq,
        });
        if (r.issue) safeIssue(opts, r.issue, meta);
        if (r.event) batcher.add(r.event);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      take(framer.push(chunk));
    });
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      ended = true;
      sockets.delete(socket);
      take(framer.end());
      batcher.flush();
      const done = delivery.drained();
      pending.add(done);
      void done.finally(() => pending.delete(done));
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => {
      finish();
    });
  };

  const server: Server =
    kind === 'tls'
      ? createTlsServer(tlsOptions(opts), onConnection).on('tlsClientError', () => {
          // a failed handshake concerns that peer only
        })
      : createTcpServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  receiver = `syslog-${kind}:${bound}`;
  server.on('error', () => {
    // accept errors (EMFILE…) do not stop the listener
  });
  return {
    port: bound,
    close: async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      // half-close: what peers have already sent is still read; then the stragglers are cut off
      for (const s of sockets) s.end();
      const grace = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, opts.closeGraceMs ?? 1000);
      await closed;
      clearTimeout(grace);
      await Promise.all(pending);
    },
  };
}

function tlsOptions(opts: SyslogOptions): { key: string | Buffer; cert: string | Buffer } {
  if (opts.tls === undefined) throw new Error('syslog over TLS needs tls.key and tls.cert');
  return { key: opts.tls.key, cert: opts.tls.cert };
}
