import { plural } from '@nocai/contract';
import { printablePath } from '../adapters/files/csv';
import { aliasActorOf, readAliases, setAlias } from '../adapters/registry/modelRegistry';
import type { Provenance } from '../domain/mlops/manifest';
import { DEFAULT_RETRAINING_OPTIONS, primaryGain } from '../domain/mlops/promotionGate';

/**
 * Which version serves after `nocai train` registers a new one: the product's rule, as the
 * scheduled retraining applies it (`services/retraining.ts`), is that a challenger replaces the
 * champion only when it does better on rows neither learnt from. The first version of a model is
 * its champion; `--champion` makes the new one champion whatever the figures (a deliberate change
 * of columns); otherwise the new version is compared with the champion on the rows it was held out
 * on, and becomes champion only when it beats it by the retraining's margin (NOCAI_RETRAIN_MARGIN,
 * read by `loadRetrainMargin`, as `primaryGain` measures it).
 */

/** The new version and the champion on one figure, on the same held-out rows. */
export interface ChampionComparison {
  /** As people read it: `RMSE`, `macro-F1`. */
  metric: string;
  lowerIsBetter: boolean;
  /** The new version's figure: the model fitted without the held-out rows, scored on them. */
  challenger: number;
  champion: number;
  /** Held-out rows the figures are of. */
  rows: number;
  /**
   * How the champion's figure was had: `scored`, its served model run on the held-out rows;
   * `recorded`, the held-out figure of its own training on this same file (it learnt from every
   * row of it, so running it on them would flatter it).
   */
  championBasis: 'scored' | 'recorded';
}

export interface ServingDecision {
  /** The alias the new version holds. */
  alias: 'champion' | 'challenger';
  why: 'first version' | 'forced' | 'beats the champion' | 'does not beat the champion' | 'not comparable';
  /** The champion before this run, if there was one. */
  previousChampion?: string;
  comparison?: ChampionComparison;
  /** Why the figures could not be compared, when they could not. */
  notComparable?: string;
  /** How much better the new version had to do to replace the champion (NOCAI_RETRAIN_MARGIN). */
  margin: number;
  /** One sentence for stderr and report.json. */
  reason: string;
}

const fixed = (x: number) => x.toFixed(3);

function figures(c: ChampionComparison, version: string, champion: string): string {
  const basis =
    c.championBasis === 'recorded'
      ? ` (${champion} learnt from every row of this file: its own held-out figure from its training on it)`
      : '';
  return (
    `${c.metric} ${fixed(c.challenger)} (${version}) on ${plural(c.rows, 'held-out row')} ` +
    `against the champion ${champion}'s ${fixed(c.champion)}${basis}`
  );
}

/** `0.07 * 100` is 7.000000000000001: the percentage as the margin was written. */
const percent = (fraction: number) => `${Number((fraction * 100).toPrecision(12))}%`;

/** The rule the figures were held to, with where its margin comes from. */
const marginRule = (c: ChampionComparison, margin: number) =>
  `a new version serves when its ${c.metric} is at least ${c.lowerIsBetter ? `${percent(margin)} lower` : `${margin} higher`}: ` +
  `NOCAI_RETRAIN_MARGIN ${margin}`;

/**
 * Gives `version` of `name` the champion or the challenger alias as described at the top of this
 * file. `compare` scores the champion against the new version, or says in a clause why it cannot.
 */
export async function placeNewVersion(
  registryDir: string,
  name: string,
  version: string,
  options: {
    force?: boolean;
    /** NOCAI_RETRAIN_MARGIN (`loadRetrainMargin`); the retraining's default when absent. */
    margin?: number;
    provenance?: Provenance;
    compare(championVersion: string): Promise<ChampionComparison | string>;
  }
): Promise<ServingDecision> {
  const previousChampion = (await readAliases(registryDir, name)).champion;
  const margin = options.margin ?? DEFAULT_RETRAINING_OPTIONS.margin;
  let decision: ServingDecision;
  if (!previousChampion) {
    decision = {
      alias: 'champion',
      why: 'first version',
      margin,
      reason: `${name} ${version} is the champion: the first version of ${name}`,
    };
  } else {
    const compared = await options.compare(previousChampion);
    const comparison = typeof compared === 'string' ? undefined : compared;
    const notComparable = typeof compared === 'string' ? compared : undefined;
    const known = { previousChampion, comparison, notComparable, margin };
    const said = comparison ? figures(comparison, version, previousChampion) : `${notComparable}`;
    const promoteHint =
      `${previousChampion} still serves; \`nocai models promote ${name} ${version} --dir ${printablePath(registryDir)} ` +
      '--state-dir STATE\` (or training again with --champion) serves it';
    if (options.force) {
      decision = {
        alias: 'champion',
        why: 'forced',
        ...known,
        reason: `${name} ${version} is the champion, replacing ${previousChampion}, as --champion asks: ${said}`,
      };
    } else if (!comparison) {
      decision = {
        alias: 'challenger',
        why: 'not comparable',
        ...known,
        reason: `${name} ${version} registered as challenger: ${said}, so it cannot be shown to do better; ${promoteHint}`,
      };
    } else if (primaryGain(comparison.champion, comparison.challenger, comparison.lowerIsBetter) >= margin) {
      decision = {
        alias: 'champion',
        why: 'beats the champion',
        ...known,
        reason: `${name} ${version} is the champion: ${said} (${marginRule(comparison, margin)})`,
      };
    } else {
      decision = {
        alias: 'challenger',
        why: 'does not beat the champion',
        ...known,
        reason:
          `${name} ${version} registered as challenger: ${said} ` +
          `(${marginRule(comparison, margin)}); ${promoteHint}`,
      };
    }
  }
  // The history says why this version serves or not, the command that made it being in its manifest.
  await setAlias(registryDir, name, decision.alias, version, {
    ...aliasActorOf(options.provenance),
    reason: decision.reason,
  });
  return decision;
}

/** The decision as report.json records it beside the version's figures. */
export function servingRecord(decision: ServingDecision) {
  return {
    alias: decision.alias,
    why: decision.why,
    previousChampion: decision.previousChampion ?? null,
    comparison: decision.comparison ?? null,
    margin: decision.margin,
    ...(decision.notComparable ? { notComparable: decision.notComparable } : {}),
    reason: decision.reason,
  };
}
