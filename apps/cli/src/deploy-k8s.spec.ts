import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Checks deploy/k8s: every file parses, kustomize lists them all, the pieces agree with each other,
 * what scale-out needs is there, and every rendered object is valid against the Kubernetes OpenAPI
 * schema (no cluster needed).
 */
const root = join(__dirname, '../../..');
const dir = join(root, 'deploy/k8s');

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
  topologySpreadConstraints?: { topologyKey: string; maxSkew: number; labelSelector?: { matchLabels?: Record<string, string> } }[];
}
interface Kustomization {
  resources: string[];
  namespace: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  [field: string]: unknown;
}

function load(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
  for (const doc of docs) expect({ file, errors: doc.errors.map(String) }).toEqual({ file, errors: [] });
  return docs.map((doc) => doc.toJS() as K8sObject).filter(Boolean);
}

const kustomization = load('kustomization.yaml')[0] as unknown as Kustomization;
const objects = kustomization.resources.flatMap(load);
const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
const podSpec = (deployment: K8sObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;
const config = find('ConfigMap', 'slm-config')?.data ?? {};
const workloadKinds = ['Deployment', 'StatefulSet', 'Job'];

/**
 * `kustomize build deploy/k8s` for the transformers this kustomization uses (namespace, labels
 * without selectors, images), so the schema check runs where no kubectl is installed; where one is,
 * a test holds it equal to `kubectl kustomize`. Any other kustomization field fails here first.
 */
function render(): K8sObject[] {
  const known = ['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images'];
  expect(Object.keys(kustomization).filter((field) => !known.includes(field))).toEqual([]);
  return objects.map((original) => {
    const object = structuredClone(original) as K8sObject & { metadata: { namespace?: string; labels?: Record<string, string> } };
    if (object.kind !== 'Namespace') object.metadata.namespace = kustomization.namespace;
    for (const { pairs, includeSelectors } of kustomization.labels ?? []) {
      expect(includeSelectors).toBe(false);
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
    }
    if (workloadKinds.includes(object.kind)) {
      const pod = podSpec(object) as PodSpec & {
        containers: (Container & { image?: string })[];
        initContainers?: (Container & { image?: string })[];
      };
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const image = kustomization.images?.find((i) => container.image === i.name || container.image?.startsWith(`${i.name}:`));
        if (image) container.image = `${image.newName ?? image.name}:${image.newTag ?? container.image?.split(':')[1] ?? 'latest'}`;
      }
    }
    return object;
  });
}

const byKindAndName = (a: K8sObject, b: K8sObject) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);

/** Runs tools/k8s/validate-objects.mjs: the objects against the Kubernetes OpenAPI schema; returns the errors. */
function schemaErrors(list: unknown[]): { kind: string; name: string; error: string }[] {
  const out = execFileSync(process.execPath, [join(root, 'tools/k8s/validate-objects.mjs')], {
    cwd: root,
    input: JSON.stringify(list),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
/** A kubectl whose kustomize knows `labels` (kustomize v4.1+; Debian's kubernetes-client 1.20 does not). */
const hasKubectl = kubectl.status === 0 && /Kustomize Version: v[5-9]/.test(kubectl.stdout);

describe('deploy/k8s', () => {
  it('lists every manifest in kustomization.yaml, and each object has a kind and a name', () => {
    const files = readdirSync(dir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('slm-router');
    for (const object of objects)
      expect(object).toEqual(
        expect.objectContaining({
          apiVersion: expect.any(String),
          kind: expect.any(String),
          metadata: expect.objectContaining({ name: expect.any(String) }),
        }),
      );
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
    expect(service.spec).toMatchObject({
      clusterIP: 'None',
      selector: { 'app.kubernetes.io/name': `${domain}-worker` },
      ports: [{ port }],
    });
    expect(config[`${prefix}_WORKER_ADDRESSES`]).toBe(`dns:///${domain}-worker:${port}`);
    expect(find('HorizontalPodAutoscaler', `${domain}-worker`)?.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: `${domain}-worker` },
      minReplicas: 2,
    });
    expect(config[`${prefix}_WORKER_MODEL`]).toMatch(/^onnx-community\/MobileLLM-R1-(950|360)M-ONNX$/);
    expect(podSpec(deployment).initContainers?.[0].args?.[0]).toContain(
      `\${${prefix}_WORKER_MODEL}/onnx/model_\${${prefix}_WORKER_DTYPE}.onnx`,
    );
  });

  it('runs the router with the service ports of the ConfigMap and points everything at the in-cluster Redis', () => {
    const [router] = podSpec(find('Deployment', 'router') as K8sObject).containers;
    expect(router.args).toEqual(['serve', 'router']);
    expect(router.ports?.map((p) => p.containerPort)).toEqual([Number(config.ROUTER_HTTP_PORT), Number(config.ROUTER_GRPC_PORT)]);
    expect(config.REDIS_URL).toBe(`redis://${find('Service', 'redis')?.metadata.name}:6379`);
    expect(config.MODELS_DIR).toBe('/models');
  });

  it('refers only to ConfigMaps and volume claims that exist, mounted where MODELS_DIR says', () => {
    const workloads = objects.filter((object) => workloadKinds.includes(object.kind));
    expect(workloads.length).toBe(6);
    for (const workload of workloads) {
      const pod = podSpec(workload);
      // A StatefulSet's own claims (volumeClaimTemplates) are mounted by name, with no volume entry.
      const templates = ((workload.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map(
        (t) => t.metadata.name,
      );
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const source of container.envFrom ?? []) expect(find('ConfigMap', source.configMapRef?.name ?? '')).toBeDefined();
        for (const mount of container.volumeMounts ?? []) {
          if (templates.includes(mount.name)) continue;
          const claim = pod.volumes?.find((volume) => volume.name === mount.name)?.persistentVolumeClaim?.claimName;
          expect(find('PersistentVolumeClaim', claim ?? '')).toBeDefined();
          if (claim === 'models') expect(mount.mountPath).toBe(config.MODELS_DIR);
        }
      }
    }
  });

  describe('scale-out', () => {
    it.each(['math-worker', 'code-worker', 'science-worker', 'router'])(
      '%s: replicas spread over nodes and zones, a PodDisruptionBudget over them',
      (name) => {
        const pod = podSpec(find('Deployment', name) as K8sObject);
        const labels = { 'app.kubernetes.io/name': name };
        expect(pod.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
        for (const constraint of pod.topologySpreadConstraints ?? [])
          expect(constraint).toMatchObject({ maxSkew: 1, labelSelector: { matchLabels: labels } });
        const budget = find('PodDisruptionBudget', name)?.spec as {
          selector: { matchLabels: Record<string, string> };
          maxUnavailable?: number;
          minAvailable?: number;
        };
        expect(budget.selector.matchLabels).toEqual(labels);
        // Workers go one at a time (each reloads its model); at least one router always serves.
        expect(name === 'router' ? budget.minAvailable : budget.maxUnavailable).toBe(1);
      },
    );

    it('a worker is ready only once its model is loaded: readiness is the gRPC health, NOT_SERVING while loading', () => {
      for (const domain of ['math', 'code', 'science']) {
        const [worker] = podSpec(find('Deployment', `${domain}-worker`) as K8sObject).containers;
        // No `service`: the probe asks for the server's overall status (""), which the worker sets with its own.
        expect(worker.readinessProbe).toEqual(
          expect.objectContaining({ grpc: { port: Number(config[`${domain.toUpperCase()}_WORKER_GRPC_PORT`]) } }),
        );
        // The headless Service publishes ready pods only: the router's DNS never names a loading replica.
        expect(
          (find('Service', `${domain}-worker`)?.spec as { publishNotReadyAddresses?: boolean }).publishNotReadyAddresses,
        ).toBeUndefined();
      }
    });

    it('runs Redis as a StatefulSet with its own volume and a headless Service, REDIS_URL on a stable Service', () => {
      expect(find('Deployment', 'redis')).toBeUndefined();
      const redis = find('StatefulSet', 'redis')?.spec as {
        serviceName: string;
        replicas: number;
        volumeClaimTemplates: { metadata: { name: string } }[];
      };
      expect(redis.replicas).toBe(1);
      expect(find('Service', redis.serviceName)?.spec).toMatchObject({
        clusterIP: 'None',
        selector: { 'app.kubernetes.io/name': 'redis' },
      });
      expect(redis.volumeClaimTemplates.map((t) => t.metadata.name)).toEqual(['data']);
      expect(podSpec(find('StatefulSet', 'redis') as K8sObject).containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    });
  });

  describe('rendered (kustomize) and checked against the Kubernetes OpenAPI schema', () => {
    (hasKubectl ? it : it.skip)('the render here is what `kubectl kustomize deploy/k8s` gives', () => {
      const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      const rendered = parseAllDocuments(out).map((doc) => doc.toJS() as K8sObject);
      expect(rendered.sort(byKindAndName)).toEqual(render().sort(byKindAndName));
    });

    it('every rendered object is valid', () => {
      const rendered = render();
      expect(rendered.length).toBe(objects.length);
      expect(
        rendered.every((object) => object.kind === 'Namespace' || (object.metadata as { namespace?: string }).namespace === 'slm-router'),
      ).toBe(true);
      expect(schemaErrors(rendered)).toEqual([]);
    });

    it('the schema check finds a wrong type, a missing required field, an unknown kind and an unknown field', () => {
      const deployment = structuredClone(find('Deployment', 'router')) as K8sObject;
      (podSpec(deployment).containers[0].ports as { containerPort: unknown }[])[0].containerPort = 'http';
      const budget = structuredClone(find('PodDisruptionBudget', 'router')) as K8sObject;
      (budget.spec as { selector: unknown; minAvailable: unknown }).minAvailable = { count: 1 };
      const job = structuredClone(objects.find((object) => object.kind === 'Job')) as K8sObject;
      delete (job.spec as { template?: unknown }).template;
      const worker = structuredClone(find('Deployment', 'math-worker')) as K8sObject;
      const [container] = podSpec(worker).containers as unknown as Record<string, unknown>[];
      container.readinesProbe = container.readinessProbe;
      const errors = schemaErrors([
        deployment,
        budget,
        job,
        { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'typo' } },
        worker,
      ]);
      expect(errors.map((e) => `${e.kind}/${e.name}`)).toEqual([
        'Deployment/router',
        'PodDisruptionBudget/router',
        `Job/${job.metadata.name}`,
        'Deploymnet/typo',
        'Deployment/math-worker',
      ]);
      expect(errors[0].error).toContain('containerPort');
      expect(errors[4].error).toContain('readinesProbe');
    });
  });
});
