import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Checks deploy/k8s: every file parses, kustomize lists them all, and the pieces agree with each other. */
const dir = join(__dirname, '../../../deploy/k8s');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}
interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string } }[];
  readinessProbe?: { grpc?: { port: number } };
  livenessProbe?: { grpc?: { port: number } };
  startupProbe?: { grpc?: { port: number } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

function load(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
  for (const doc of docs) expect({ file, errors: doc.errors.map(String) }).toEqual({ file, errors: [] });
  return docs.map((doc) => doc.toJS() as K8sObject).filter(Boolean);
}

const kustomization = load('kustomization.yaml')[0] as unknown as { resources: string[]; namespace: string };
const objects = kustomization.resources.flatMap(load);
const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
const podSpec = (deployment: K8sObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;
const config = find('ConfigMap', 'slm-config')?.data ?? {};

describe('deploy/k8s', () => {
  it('lists every manifest in kustomization.yaml, and each object has a kind and a name', () => {
    const files = readdirSync(dir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('slm-router');
    for (const object of objects) expect(object).toEqual(expect.objectContaining({ apiVersion: expect.any(String), kind: expect.any(String), metadata: expect.objectContaining({ name: expect.any(String) }) }));
  });

  it.each([
    ['math', 50061],
    ['code', 50062],
    ['science', 50063],
  ])('runs two %s workers behind gRPC health probes and a headless Service the router dials', (domain, port) => {
    const prefix = domain.toUpperCase();
    const deployment = find('Deployment', `${domain}-worker`) as K8sObject;
    expect(deployment.spec?.replicas).toBe(2);
    const [worker] = podSpec(deployment).containers;
    expect(worker.args).toEqual(['worker', domain]);
    expect(worker.ports).toEqual([{ name: 'grpc', containerPort: port }]);
    for (const probe of [worker.readinessProbe, worker.livenessProbe, worker.startupProbe]) expect(probe?.grpc?.port).toBe(port);
    expect(config[`${prefix}_WORKER_GRPC_PORT`]).toBe(String(port));
    const service = find('Service', `${domain}-worker`) as K8sObject;
    expect(service.spec).toMatchObject({ clusterIP: 'None', selector: { 'app.kubernetes.io/name': `${domain}-worker` }, ports: [{ port }] });
    expect(config[`${prefix}_WORKER_ADDRESSES`]).toBe(`dns:///${domain}-worker:${port}`);
    expect(find('HorizontalPodAutoscaler', `${domain}-worker`)?.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: `${domain}-worker` }, minReplicas: 2 });
    expect(config[`${prefix}_WORKER_MODEL`]).toMatch(/^onnx-community\/MobileLLM-R1-(950|360)M-ONNX$/);
    expect(podSpec(deployment).initContainers?.[0].args?.[0]).toContain(`\${${prefix}_WORKER_MODEL}/onnx/model_\${${prefix}_WORKER_DTYPE}.onnx`);
  });

  it('runs the router with the service ports of the ConfigMap and points everything at the in-cluster Redis', () => {
    const [router] = podSpec(find('Deployment', 'router') as K8sObject).containers;
    expect(router.args).toEqual(['serve', 'router']);
    expect(router.ports?.map((p) => p.containerPort)).toEqual([Number(config.ROUTER_HTTP_PORT), Number(config.ROUTER_GRPC_PORT)]);
    expect(config.REDIS_URL).toBe(`redis://${find('Service', 'redis')?.metadata.name}:6379`);
    expect(config.MODELS_DIR).toBe('/models');
  });

  it('refers only to ConfigMaps and volume claims that exist, mounted where MODELS_DIR says', () => {
    const pods = objects.flatMap((object) => {
      if (object.kind === 'Deployment' || object.kind === 'Job') return [podSpec(object)];
      return [];
    });
    expect(pods.length).toBe(6);
    for (const pod of pods) {
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const source of container.envFrom ?? []) expect(find('ConfigMap', source.configMapRef?.name ?? '')).toBeDefined();
        for (const mount of container.volumeMounts ?? []) {
          const claim = pod.volumes?.find((volume) => volume.name === mount.name)?.persistentVolumeClaim?.claimName;
          expect(find('PersistentVolumeClaim', claim ?? '')).toBeDefined();
          if (claim === 'models') expect(mount.mountPath).toBe(config.MODELS_DIR);
        }
      }
    }
  });
});
