import { listModels, readAliases } from '../adapters/registry/modelRegistry';
import type { Clock } from '../domain/series';

/**
 * Notices a champion or challenger changed by another process sharing the registry: with several
 * replicas, only one retrains and promotes (shard 0, or an admin through one replica's API), and
 * the others must serve the new champion too. Reads the alias files at most every `everyMs` and
 * calls `onChange` once per change it sees (not on the first look: what was there at start is
 * what the process loaded).
 */
export class ChampionWatch {
  private seen: string | undefined;
  private lastLookMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly registryDir: string,
    private readonly clock: Clock,
    private readonly onChange: () => Promise<void>,
    private readonly everyMs = 30_000
  ) {}

  /** One look when due; resolves with 1 when the aliases changed since the last look, else 0. */
  async tick(): Promise<number> {
    const nowMs = this.clock.nowMs();
    if (nowMs - this.lastLookMs < this.everyMs) return 0;
    this.lastLookMs = nowMs;
    const signature = await this.signature();
    const before = this.seen;
    this.seen = signature;
    if (before === undefined || before === signature) return 0;
    await this.onChange();
    return 1;
  }

  private async signature(): Promise<string> {
    const parts: string[] = [];
    for (const name of await listModels(this.registryDir)) {
      const aliases = await readAliases(this.registryDir, name);
      parts.push(`${name}:${aliases.champion ?? ''}:${aliases.challenger ?? ''}`);
    }
    return parts.join('|');
  }
}
