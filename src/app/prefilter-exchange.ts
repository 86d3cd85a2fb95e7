/**
 * How `vigil scan`'s workers share the prefilters they build. Building the prefilter of a big route group
 * (thousands of command-line literals, the vulnerable-driver hash list) is a cold scan's largest matching
 * cost, and the workers meet the same routes at nearly the same moment. So a worker claims a group
 * before building its prefilter (a compare-and-swap on shared memory, per group position); a worker that
 * finds the group claimed waits for the builder's prefilter instead of building the same one. Prefilters
 * travel on a broadcast channel of the scan's own, which a waiting worker reads synchronously.
 */
import { BroadcastChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { PrefilterData } from '../detect/index.ts';

/** What the coordinator gives every worker of one scan. */
export interface ExchangeInit {
  /** The broadcast channel's name, unique to the scan. */
  readonly channel: string;
  /** One 32-bit claim per route group position (0 free, 1 being built, 2 built and sent). */
  readonly claims: SharedArrayBuffer;
}

/** Route group positions a scan can claim; groups past it are built wherever they are met. */
export const CLAIM_SLOTS = 4096;

const CLAIMED = 1;
const BUILT = 2;

/** A builder that does not deliver within this long (it died) leaves the group to the waiter. */
const WAIT_MS = 10_000;

interface PrefilterMessage {
  readonly route: string;
  readonly data: PrefilterData;
}

function isPrefilterMessage(m: unknown): m is PrefilterMessage {
  return (
    typeof m === 'object' && m !== null && typeof (m as { route?: unknown }).route === 'string'
  );
}

export function exchangeInit(channel: string): ExchangeInit {
  return { channel, claims: new SharedArrayBuffer(4 * CLAIM_SLOTS) };
}

export class PrefilterExchange {
  private readonly channel: BroadcastChannel;
  private readonly claims: Int32Array;
  /** Prefilters the other workers built, by route. */
  readonly received = new Map<string, PrefilterData>();

  /** `onReceived` is told each prefilter another worker built, as it arrives. */
  constructor(
    init: ExchangeInit,
    private readonly onReceived: (route: string, data: PrefilterData) => void,
    private readonly waitMs = WAIT_MS,
  ) {
    this.claims = new Int32Array(init.claims);
    this.channel = new BroadcastChannel(init.channel);
    this.channel.onmessage = (e: unknown) => {
      this.take((e as { data: unknown }).data);
    };
    // The channel alone does not keep the worker alive.
    this.channel.unref();
  }

  /**
   * For `RuleSet.awaitPrefilter`: undefined when this worker claimed the group (it builds the prefilter
   * and hands it over through `built`), else the prefilter the claimer built, once it comes.
   */
  await(route: string, group: number): PrefilterData | undefined {
    if (group >= this.claims.length) return undefined;
    if (Atomics.compareExchange(this.claims, group, 0, CLAIMED) === 0) return undefined;
    const deadline = performance.now() + this.waitMs;
    for (;;) {
      this.drain();
      const got = this.received.get(route);
      if (got) return got;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      // Woken when the builder marks the group built; a built group's message is already queued.
      const state = Atomics.load(this.claims, group);
      Atomics.wait(this.claims, group, state, state === CLAIMED ? Math.min(left, 100) : 1);
    }
  }

  /** For `RuleSet.onPrefilterBuilt`: sends the prefilter to the other workers, then marks it built. */
  built(route: string, data: PrefilterData, group: number): void {
    this.channel.postMessage({ route, data } satisfies PrefilterMessage);
    if (group < this.claims.length) {
      Atomics.store(this.claims, group, BUILT);
      Atomics.notify(this.claims, group);
    }
  }

  close(): void {
    this.channel.close();
  }

  private drain(): void {
    // Node reads a BroadcastChannel's queue here too (since 15.4); its types only name MessagePort.
    const port = this.channel as unknown as MessagePort;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
      this.take(m.message);
  }

  private take(message: unknown): void {
    if (!isPrefilterMessage(message)) return;
    this.received.set(message.route, message.data);
    this.onReceived(message.route, message.data);
  }
}
