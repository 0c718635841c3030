import { createHash } from 'node:crypto';
import { DamagedModelError } from './errors';

/** sha256 of an artifact, lower-case hex: what a manifest records as `artifactSha256`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Refuses `bytes` (read from `file`) unless the manifest records their sha256. A manifest without
 * one is refused too: a model whose integrity cannot be checked is not served.
 */
export function verifyArtifact(file: string, manifest: { artifactSha256?: unknown }, bytes: Uint8Array): void {
  const recorded = manifest.artifactSha256;
  if (typeof recorded !== 'string' || recorded === '') {
    throw new DamagedModelError(
      file,
      'has no sha256 recorded in its manifest (saved before the registry recorded one, or a manifest written by hand): ' +
        'refusing to load a model whose integrity cannot be checked; train or import it again'
    );
  }
  if (sha256Hex(bytes) !== recorded.toLowerCase()) {
    throw new DamagedModelError(
      file,
      'does not match the sha256 recorded in its manifest: refusing to load a tampered or damaged model'
    );
  }
}
