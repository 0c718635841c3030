import { userInfo } from 'node:os';
import type { Provenance } from '../domain/mlops/manifest';

/** The person running a CLI command, as the registry records them: their OS account. */
export function osUserName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    // userInfo throws for a uid without a passwd entry (some containers).
    return 'unknown';
  }
}

/** A version made by a person at the command line: `reason` is the command, as they ran it in short. */
export function userProvenance(reason: string): Provenance {
  return { createdBy: { kind: 'user', name: osUserName() }, reason };
}
