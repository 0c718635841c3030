import type { ClassifiedEvent } from '../domain/incidents';
import type { EvidenceSource } from './logStage';

/** Keys of delivered alarms remembered, so that one pushed again (a replayed window) is dropped. */
const DELIVERED_MEMORY = 10_000;

/**
 * Hands the metric stage's anomaly episodes to the log stage's incident engine without making
 * either wait for the other: the metric stage pushes the alarms of each committed window, the log
 * stage takes those up to the time its engine reaches. An alarm older than the engine's clock (the
 * metric stage ran behind) joins at the engine's present: an anomaly is a state of the device, a
 * minute late is still evidence. While the metric stage catches up on a backlog, the log stage waits
 * for it instead (`horizonUs`), so a replayed history keeps its order. What the log stage took is given again until it commits its
 * batch; alarms committed before a restart are read back once from aiops_anomalies (`prime`).
 */
export class EvidenceQueue implements EvidenceSource {
  private pending: ClassifiedEvent[] = [];
  private inFlight: ClassifiedEvent[] = [];
  private readonly delivered = new Set<string>();
  private primed = false;

  constructor(
    private readonly prime?: (afterUs: number) => Promise<ClassifiedEvent[]>,
    /** While the metric stage catches up (a backfill, a restart), the time it has committed. */
    private readonly catchingUpUntilUs: () => number | undefined = () => undefined
  ) {}

  push(events: readonly ClassifiedEvent[]): void {
    const known = new Set([...this.pending, ...this.inFlight].map(keyOf));
    const fresh = events.filter((e) => !known.has(keyOf(e)) && !this.delivered.has(keyOf(e)));
    if (fresh.length === 0) return;
    this.pending.push(...fresh);
    this.pending.sort((a, b) => a.timeUs - b.timeUs);
  }

  get size(): number {
    return this.pending.length + this.inFlight.length;
  }

  async read(fromUs: number, toUs: number): Promise<ClassifiedEvent[]> {
    if (!this.primed && this.prime) {
      this.push(await this.prime(fromUs));
      this.primed = true;
    }
    // A batch that was read but never committed is read again.
    if (this.inFlight.length) {
      this.pending = [...this.inFlight, ...this.pending].sort((a, b) => a.timeUs - b.timeUs);
      this.inFlight = [];
    }
    const later: ClassifiedEvent[] = [];
    for (const event of this.pending) (event.timeUs <= toUs ? this.inFlight : later).push(event);
    this.pending = later;
    // Late ones join now, one microsecond apart, so that each keeps an event key of its own.
    let nextUs = fromUs + 1;
    return this.inFlight.map((event) => {
      const timeUs = Math.max(event.timeUs, nextUs);
      nextUs = timeUs + 1;
      return timeUs === event.timeUs ? event : { ...event, timeUs };
    });
  }

  committed(): void {
    for (const event of this.inFlight) {
      this.delivered.add(keyOf(event));
      if (this.delivered.size > DELIVERED_MEMORY) this.delivered.delete(this.delivered.values().next().value as string);
    }
    this.inFlight = [];
  }

  /**
   * Live, the log stage never waits for evidence (late alarms join at the engine's present). While
   * the metric stage catches up on a backlog it does: replayed history keeps its order.
   */
  horizonUs(): number | undefined {
    return this.catchingUpUntilUs();
  }
}

const keyOf = (e: ClassifiedEvent) => `${e.hostname}|${e.templateId}|${e.timeUs}`;
