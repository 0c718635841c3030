import { join } from 'node:path';
import { printablePath } from '../adapters/files/csv';
import { describeModel } from '../adapters/registry/lifecycle';
import { listVersions } from '../adapters/registry/modelRegistry';
import { TrainInputError } from './commandInput';

/**
 * Refuses to train model `name` into `out` when a version there is of the other family (a text
 * classifier where a tabular model is trained, or the reverse): the new version would become the
 * champion of a model whose callers read other inputs, and promote or rollback would flip its kind.
 */
export async function checkModelFamily(out: string, name: string, family: 'text' | 'tabular'): Promise<void> {
  if ((await listVersions(out, name).catch(() => [])).length === 0) return;
  const model = await describeModel(out, name).catch(() => undefined);
  const isTabular = (kind: string) => kind.startsWith('tabular_');
  const other = model?.versions.find(
    (v) => v.kind !== undefined && (family === 'tabular' ? !isTabular(v.kind) : isTabular(v.kind))
  );
  if (!other?.kind) return;
  throw new TrainInputError(
    `${printablePath(join(out, name))} holds model ${name} as a ${other.kind.replace(/_/g, ' ')} (${other.version}), ` +
      `not a ${family} model: its next version would replace that champion; give another --out.`
  );
}
