import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadInventoryFile } from '../../inference-backend/src/adapters/files/inventory';
import { loadConfig } from '../../inference-backend/src/config';
import { repoPath } from '../grafana/repo';

const DIR = repoPath('deploy', 'kubernetes');
const VALIDATE = join(DIR, 'validate.sh');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  env: EnvVar[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    replicas?: number;
    serviceName?: string;
    clusterIP?: string;
    template?: {
      spec: {
        containers: Container[];
        volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>;
      };
    };
    volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
    accessModes?: string[];
  };
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJSON() as Manifest);
}

function validate(...files: string[]) {
  return spawnSync('bash', [VALIDATE, ...files], { encoding: 'utf8', timeout: 540_000 });
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('When the example ConfigMap is mounted, then its inventory loads as the backend loads it', async () => {
    const [configMap] = parseAllDocuments(readFileSync(join(DIR, 'configmap.yaml'), 'utf8')).map(
      (d) => d.toJSON() as { data: Record<string, string> }
    );
    const dir = mkdtempSync(join(tmpdir(), 'nocai-k8s-'));
    try {
      writeFileSync(join(dir, 'inventory.yaml'), configMap.data['inventory.yaml']);
      const inventory = await loadInventoryFile(join(dir, 'inventory.yaml'));
      expect(inventory.sites.length).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('When validated strictly against the Kubernetes schemas, then every manifest passes', () => {
    const run = validate();
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/ERROR/);
    expect(run.status).toBe(0);
    // The first run installs the validator from PyPI.
  }, 600_000);

  it('When a field is misspelt, then the validation fails and names it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nocai-k8s-'));
    try {
      const broken = join(dir, 'statefulset.yaml');
      writeFileSync(
        broken,
        readFileSync(join(DIR, 'statefulset.yaml'), 'utf8').replace('readinessProbe:', 'readynessProbe:')
      );
      const run = validate(broken);
      expect(run.status).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toMatch(/readynessProbe/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('When the StatefulSet runs, then each pod is a shard of as many as there are replicas, with its own state volume', () => {
    const [set] = manifests('statefulset.yaml');
    const container = set.spec.template?.spec.containers[0];
    const env = new Map(container?.env.map((e) => [e.name, e]));
    expect(Number(env.get('NOCAI_SHARD_COUNT')?.value)).toBe(set.spec.replicas);
    expect(env.has('NOCAI_SHARD_INDEX')).toBe(false);
    // The backend reads each pod's shard from its hostname, as it would in the pod.
    const values = Object.fromEntries(
      [...env.values()].map((e) => [e.name, e.value ?? `from-secret-${e.valueFrom?.secretKeyRef?.key}`])
    );
    for (let ordinal = 0; ordinal < (set.spec.replicas ?? 0); ordinal++) {
      const config = loadConfig({ ...values, HOSTNAME: `${set.metadata.name}-${ordinal}` });
      expect(config.shard).toEqual({ count: set.spec.replicas, index: ordinal });
    }
    const stateMount = container?.volumeMounts.find((m) => m.mountPath === env.get('NOCAI_STATE_DIR')?.value);
    expect(set.spec.volumeClaimTemplates?.map((c) => c.metadata.name)).toContain(stateMount?.name);
    // One model registry for all: a claim every pod mounts (not a per-pod template), shared read-write.
    const modelsMount = container?.volumeMounts.find((m) => m.mountPath === env.get('NOCAI_MODELS_DIR')?.value);
    const modelsVolume = set.spec.template?.spec.volumes?.find((v) => v.name === modelsMount?.name);
    const [claim] = manifests('models-pvc.yaml');
    expect(modelsVolume?.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    // The per-client tokens on that shared volume too: a token created through one replica opens every one.
    const tokensMount = container?.volumeMounts.find((m) => m.mountPath === env.get('NOCAI_TOKENS_DIR')?.value);
    expect(tokensMount?.name).toBe(modelsMount?.name);
    // Each shard's replica is reachable by its pod name through the headless Service, for ticket changes.
    const config = loadConfig({ ...values, HOSTNAME: `${set.metadata.name}-1` });
    expect(config.shardPeerUrl?.replace('{i}', '2')).toBe(
      `http://${set.metadata.name}-2.${set.spec.serviceName}.${set.metadata.namespace}.svc:8080`
    );
    expect(container?.livenessProbe.httpGet?.path).toBe('/healthz');
    expect(container?.readinessProbe.httpGet?.path).toBe('/readyz');
    expect(env.get('NOCAI_API_TOKEN')?.valueFrom?.secretKeyRef?.name).toBe('nocai-backend-tokens');
    expect(env.get('NOCAI_WEBHOOK_TOKEN')?.valueFrom?.secretKeyRef?.name).toBe('nocai-backend-tokens');
    const headless = manifests('service.yaml').find((s) => s.metadata.name === set.spec.serviceName);
    expect(headless?.spec.clusterIP).toBe('None');
  });
});
