import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dockerignore from '@balena/dockerignore';
import { validate as lintDockerfile } from 'dockerfile-utils';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadGatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { EXIT_FLUSH_TIMEOUT_MS } from '../apps/gateway/src/process-exit.js';

/**
 * The deployment artefacts, checked offline with real tools: Debian's docker-compose renders the
 * Compose file, kubectl's built-in kustomize renders deploy/, kubernetes-models validates every
 * object against the Kubernetes OpenAPI schemas, and the gateway's own loader reads the configs.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const DEMO_ACCOUNT_IDS = ['12345678', '12345679'];
const scratch = mkdtempSync(join(tmpdir(), 'deploy-spec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs a tool with a bare environment and home, so that a developer's COMPOSE_*, KUBECONFIG or
 * ~/.docker cannot change the result.
 */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: scratch, LANG: 'C.UTF-8' },
    timeout: 20_000,
  });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  expect(result.status, `${command} ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Sourced {
  source: string;
  manifest: Manifest;
}

// These run while the file is collected as well as in tests: they throw rather than expect.
function manifestsOf(text: string, source: string): Sourced[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${source} is not YAML: ${document.errors.join('; ')}`);
      return document.toJS() as Manifest | null;
    })
    .filter((manifest) => manifest !== null)
    .map((manifest) => {
      if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string' || !manifest.metadata?.name) {
        throw new Error(`${source} holds a document that is no Kubernetes object`);
      }
      return { source, manifest };
    });
}

function filesUnder(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .map((path) => join(folder, path))
    .filter((path) => statSync(join(root, path)).isFile());
}

// ---------------------------------------------------------------------------------------------
// Kubernetes: schemas, and the unknown fields the schemas let through

/** The OpenAPI schemas of kubernetes-models, compiled to validators that ship in the package. */
async function schemaProblems(manifests: Sourced[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { source, manifest } of manifests) {
    const name = `${source} (${manifest.kind} ${manifest.metadata.name})`;
    // A plain variable, so that Vite leaves the import to Node and its resolution of the package's exports.
    const specifier = `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`;
    let model: new (data: unknown) => { validate(): void };
    try {
      const module = (await import(specifier)) as Record<string, typeof model>;
      model = module[manifest.kind];
    } catch {
      problems.push(`${name}: no schema for ${manifest.apiVersion} ${manifest.kind}`);
      continue;
    }
    try {
      new model(manifest).validate();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Kubernetes' schemas allow unknown fields, so a misspelt `livenesProbe` validates and the probe
 * is silently missing (or the apply is refused, depending on the client). The same package's
 * TypeScript declarations are exact: type-checking each manifest as an object literal of its
 * interface reports every field that Kubernetes does not know, like kubeconform's -strict.
 */
function unknownFieldProblems(manifests: Sourced[]): string[] {
  const file = join(root, 'test', '__deploy-manifests__.ts');
  const starts: number[] = [];
  let source = '';
  manifests.forEach(({ manifest }, index) => {
    starts.push(source.length);
    source +=
      `import type { I${manifest.kind} as M${index} } from 'kubernetes-models/${manifest.apiVersion}/${manifest.kind}';\n` +
      `export const m${index}: M${index} = ${JSON.stringify(manifest, null, 1)};\n`;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((diagnostic) => {
    const index = starts.findLastIndex((start) => start <= (diagnostic.start ?? 0));
    const { source: from, manifest } = manifests[index];
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    return `${from} (${manifest.kind} ${manifest.metadata.name}): ${message}`;
  });
}

interface Kustomization {
  resources?: string[];
  configMapGenerator?: { name: string; files?: string[] }[];
  secretGenerator?: { name: string; envs?: string[] }[];
  patches?: { path?: string }[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  namespace?: string;
}

const kustomizationFiles = filesUnder('deploy').filter((path) => basename(path) === 'kustomization.yaml');
const kustomizations = kustomizationFiles.map((path) => ({
  path,
  folder: dirname(path),
  spec: parseYaml(read(path)) as Kustomization,
}));
/** A generator's `files` entry is `path` or `key=path`. */
const generatorFile = (entry: string) => entry.slice(entry.indexOf('=') + 1);
const generatedConfigFiles = kustomizations.flatMap(({ folder, spec }) =>
  (spec.configMapGenerator ?? []).flatMap(({ files = [] }) => files.map((entry) => join(folder, generatorFile(entry)))),
);
/** Every YAML file in deploy/ that is a Kubernetes object, as opposed to a kustomization or a config it generates from. */
const manifestFiles = filesUnder('deploy').filter(
  (path) => /\.ya?ml$/.test(path) && !kustomizationFiles.includes(path) && !generatedConfigFiles.includes(path),
);
const baseManifests = manifestFiles.flatMap((path) => manifestsOf(read(path), path));

function rendered(folder: string): Sourced[] {
  return manifestsOf(run('kubectl', ['kustomize', folder]), `kubectl kustomize ${folder}`);
}

/**
 * Objects of the Prometheus Operator's custom resources, for which kubernetes-models has no schema
 * (@kubernetes-models/prometheus-operator would have one): the PodMonitor is checked field by field.
 */
const OPERATOR_KINDS = ['PodMonitor'];
const core = (manifests: Sourced[]) => manifests.filter(({ manifest }) => !OPERATOR_KINDS.includes(manifest.kind));

const EXAMPLE_OVERLAY = 'deploy/overlays/example';
const overlaySpec = kustomizations.find(({ folder }) => folder === EXAMPLE_OVERLAY)?.spec;
let overlayObjects: Sourced[] | undefined;
const renderedOverlay = () => (overlayObjects ??= rendered(EXAMPLE_OVERLAY));
/** The example overlay's Secret as the pods get it, decoded. */
const exampleSecretData = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(one<ISecret>(renderedOverlay(), 'Secret').data ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  );

function one<T>(manifests: Sourced[], kind: string): T {
  const found = manifests.filter(({ manifest }) => manifest.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0].manifest as T;
}

const deployment = one<IDeployment>(baseManifests, 'Deployment');
const podSpec = deployment.spec?.template.spec;
const podLabels = deployment.spec?.template.metadata?.labels ?? {};
const gateway = podSpec?.containers[0] as IContainer;
const environment = Object.fromEntries((gateway.env ?? []).map(({ name, value }) => [name, value ?? '']));
const keysVolume = podSpec?.volumes?.find(({ secret }) => secret !== undefined);
const keysMount = gateway.volumeMounts?.find(({ name }) => name === keysVolume?.name);

function selects(selector: Record<string, string> | undefined): boolean {
  return Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => podLabels[k] === v);
}

describe('Kubernetes manifests (deploy/)', () => {
  it('has kustomizations whose every resource, generator file and patch exists, and no manifest left out', () => {
    expect(kustomizationFiles.sort()).toEqual([
      'deploy/base/kustomization.yaml',
      'deploy/overlays/example/kustomization.yaml',
    ]);
    const listed = new Set<string>();
    for (const { path, folder, spec } of kustomizations) {
      for (const resource of spec.resources ?? []) {
        const target = join(folder, resource);
        const exists =
          existsSync(join(root, target)) && statSync(join(root, target)).isDirectory()
            ? existsSync(join(root, target, 'kustomization.yaml'))
            : existsSync(join(root, target));
        expect(exists, `${path} lists ${resource}`).toBe(true);
        listed.add(target);
      }
      for (const { path: patch } of spec.patches ?? []) {
        if (patch !== undefined)
          expect(existsSync(join(root, folder, patch)), `${path} patches with ${patch}`).toBe(true);
      }
    }
    for (const file of generatedConfigFiles) expect(existsSync(join(root, file)), file).toBe(true);
    for (const { folder, spec } of kustomizations) {
      for (const file of (spec.secretGenerator ?? []).flatMap(({ envs = [] }) => envs)) {
        expect(existsSync(join(root, folder, file)), join(folder, file)).toBe(true);
      }
    }
    // Anything not listed would be a forgotten resource.
    expect(manifestFiles.filter((file) => !listed.has(file))).toEqual([]);
  });

  it('validates every manifest in deploy/ against the Kubernetes schemas, with no unknown field', async () => {
    expect(baseManifests.map(({ manifest }) => manifest.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PodMonitor',
      'Service',
    ]);
    expect(await schemaProblems(core(baseManifests))).toEqual([]);
    expect(unknownFieldProblems(core(baseManifests))).toEqual([]);
  });

  it('reports a wrong type and a misspelt field, so that a clean result means something', async () => {
    const broken = structuredClone(deployment) as unknown as Manifest & { spec: Record<string, unknown> };
    broken.spec.replicas = 'three';
    const container = (broken.spec.template as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0];
    container.livenesProbe = container.livenessProbe;
    delete container.livenessProbe;
    const sample = [{ source: 'broken', manifest: broken }];
    expect(await schemaProblems(sample)).toEqual([expect.stringContaining('/spec/replicas must be integer')]);
    // TypeScript reports them in the manifest's field order; either order will do.
    const problems = unknownFieldProblems(sample);
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Type 'string' is not assignable to type 'number'"),
        expect.stringContaining('\'"livenesProbe"\' does not exist'),
      ]),
    );
  });

  it('renders the base and the example overlay with kustomize into valid objects', async () => {
    const base = rendered('deploy/base');
    const overlay = renderedOverlay();
    const kinds = [
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PodMonitor',
    ];
    // The Secret is the installation's: the overlay generates it.
    expect(base.map(({ manifest }) => manifest.kind).sort()).toEqual([...kinds, 'Service']);
    expect(overlay.map(({ manifest }) => manifest.kind).sort()).toEqual([...kinds, 'Secret', 'Service']);
    for (const objects of [base, overlay]) {
      expect(await schemaProblems(core(objects))).toEqual([]);
      expect(unknownFieldProblems(core(objects))).toEqual([]);
      // The generated ConfigMap's name carries a hash of its content; the pods must mount that name.
      const configMap = one<IConfigMap>(objects, 'ConfigMap');
      expect(configMap.metadata?.name).toMatch(/^interact-flow-gateway-config-[a-z0-9]{10}$/);
      const renderedDeployment = one<IDeployment>(objects, 'Deployment');
      expect(renderedDeployment.spec).not.toHaveProperty('replicas');
      const volumes = renderedDeployment.spec?.template.spec?.volumes ?? [];
      expect(volumes.map((volume) => volume.configMap?.name)).toContain(configMap.metadata?.name);
      expect(parseYaml(configMap.data?.['gateway.yaml'] ?? '')).toEqual(parseYaml(read('deploy/base/gateway.yaml')));
    }
    expect(overlay.every(({ manifest }) => manifest.metadata.namespace === overlaySpec?.namespace)).toBe(true);
    // By digest alone: a tag beside it would be ignored by the runtime and mislead the reader.
    const image = overlaySpec?.images?.[0];
    expect(image?.newTag).toBeUndefined();
    expect(image?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const overlayPod = one<IDeployment>(overlay, 'Deployment').spec?.template.spec;
    expect(overlayPod?.containers[0].image).toBe(`${image?.newName}@${image?.digest}`);
    // The generated Secret's name carries a hash of its content too; the pods must take their keys from that name.
    const secretName = one<ISecret>(overlay, 'Secret').metadata?.name;
    expect(secretName).toMatch(/^interact-flow-gateway-[a-z0-9]{10}$/);
    expect(overlayPod?.volumes?.map((volume) => volume.secret?.secretName).filter(Boolean)).toEqual([secretName]);
    const secretRefs = overlayPod?.containers[0].env?.flatMap(({ valueFrom }) => valueFrom?.secretKeyRef ?? []);
    expect(secretRefs?.map(({ name }) => name)).toEqual([secretName]);
    // The overlay's ingress controller is appended to the base's sources of traffic, not put in their place.
    const baseIngress = one<INetworkPolicy>(base, 'NetworkPolicy').spec?.ingress ?? [];
    const overlayIngress = one<INetworkPolicy>(overlay, 'NetworkPolicy').spec?.ingress ?? [];
    expect(overlayIngress.slice(0, baseIngress.length)).toEqual(baseIngress);
    expect(overlayIngress.slice(baseIngress.length)).toEqual([
      expect.objectContaining({ ports: [{ protocol: 'TCP', port: Number(environment.PORT) }] }),
    ]);
  });

  it('rolls the pods when an application key or the gateway config changes', () => {
    // A copy of deploy/, edited as an operator would and rendered again.
    const copy = join(scratch, 'rolled');
    cpSync(join(root, 'deploy'), join(copy, 'deploy'), { recursive: true });
    const render = () => {
      const objects = rendered(join(copy, EXAMPLE_OVERLAY));
      const template = one<IDeployment>(objects, 'Deployment').spec?.template;
      return { template, secret: one<ISecret>(objects, 'Secret').metadata?.name };
    };
    const before = render();
    const secretFile = join(copy, EXAMPLE_OVERLAY, overlaySpec?.secretGenerator?.[0].envs?.[0] ?? '');
    writeFileSync(
      secretFile,
      readFileSync(secretFile, 'utf8').replace(
        'INTERACT_APPLICATION_KEY_12345678=replace-me',
        'INTERACT_APPLICATION_KEY_12345678=rotated',
      ),
    );
    const rotated = render();
    expect(rotated.secret).not.toBe(before.secret);
    expect(rotated.template).not.toEqual(before.template);
    const configFile = join(copy, 'deploy/base/gateway.yaml');
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('timeoutMs: 10000', 'timeoutMs: 8000'));
    const reconfigured = render();
    expect(reconfigured.secret).toBe(rotated.secret);
    expect(reconfigured.template).not.toEqual(rotated.template);
  });

  it('requests the memory it is limited to, so that it is never the first to go under memory pressure', () => {
    expect(gateway.resources?.requests?.memory).toBeDefined();
    expect(gateway.resources?.requests?.memory).toBe(gateway.resources?.limits?.memory);
  });

  it('runs the gateway locked down: non-root, read-only root, no privilege escalation, no capabilities', () => {
    expect(podSpec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(gateway.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpec?.automountServiceAccountToken).toBe(false);
    for (const kind of ['requests', 'limits'] as const) {
      expect(Object.keys(gateway.resources?.[kind] ?? {}).sort(), kind).toEqual(['cpu', 'memory']);
    }
  });

  it('probes the health endpoints on the admin port and drains on shutdown within the termination grace period', () => {
    expect(gateway.ports).toEqual([
      expect.objectContaining({ name: 'http', containerPort: Number(environment.PORT) }),
      expect.objectContaining({ name: 'admin', containerPort: Number(environment.ADMIN_PORT) }),
    ]);
    expect(gateway.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'admin' });
    expect(gateway.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'admin' });
    expect(gateway.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'admin' });

    // The kubelet's own sleep: nothing to start in the container, whose image has no sleep binary.
    expect(Object.keys(gateway.lifecycle?.preStop ?? {})).toEqual(['sleep']);
    const preStopSeconds = gateway.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStopSeconds).toBeGreaterThanOrEqual(3);
    const graceSeconds = Number(environment.SHUTDOWN_GRACE_SECONDS);
    expect(graceSeconds).toBeGreaterThan(0);
    // The trace flush comes after the drain; the gateway cuts it short, well within the 10 s kept for it.
    expect(EXIT_FLUSH_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
    expect(podSpec?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopSeconds + graceSeconds + 10);
  });

  it('points the Service, the autoscaler, the disruption budget and the network policy at the pods', () => {
    const service = one<IService>(baseManifests, 'Service');
    expect(selects(service.spec?.selector)).toBe(true);
    // The API alone: never the admin port, whose readiness lists every account and its circuit.
    expect(service.spec?.ports?.map(({ targetPort }) => targetPort)).toEqual(['http']);

    const autoscaler = one<IHorizontalPodAutoscaler>(baseManifests, 'HorizontalPodAutoscaler');
    expect(autoscaler.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata?.name,
    });
    // The autoscaler alone sets the count: a Deployment's replicas would undo its scaling on every apply.
    expect(deployment.spec).not.toHaveProperty('replicas');
    const minReplicas = autoscaler.spec.minReplicas ?? 1;
    expect(autoscaler.spec.maxReplicas).toBeGreaterThan(minReplicas);
    expect(autoscaler.spec.metrics?.map((metric) => metric.resource?.name)).toEqual(['cpu']);

    const budget = one<IPodDisruptionBudget>(baseManifests, 'PodDisruptionBudget');
    expect(selects(budget.spec?.selector?.matchLabels)).toBe(true);
    // Never a budget that blocks every drain: some pod may always go.
    const maxUnavailable = budget.spec?.maxUnavailable;
    expect(maxUnavailable).toBeTypeOf('number');
    expect(maxUnavailable).toBeGreaterThan(0);
    // And the autoscaler's floor outnumbers it, so that evictions always leave a pod serving.
    expect(minReplicas).toBeGreaterThanOrEqual(2);
    expect(minReplicas).toBeGreaterThan(maxUnavailable as number);

    const policy = one<INetworkPolicy>(baseManifests, 'NetworkPolicy');
    expect(selects(policy.spec?.podSelector?.matchLabels)).toBe(true);
    expect(policy.spec?.policyTypes?.sort()).toEqual(['Egress', 'Ingress']);
  });

  it('lets in only labelled clients and the monitoring namespace, and out only to DNS, Redis and Interact', () => {
    const policy = one<INetworkPolicy>(baseManifests, 'NetworkPolicy');
    const api = [{ protocol: 'TCP', port: Number(environment.PORT) }];
    const admin = [{ protocol: 'TCP', port: Number(environment.ADMIN_PORT) }];
    // No rule admits a pod for the namespace it runs in alone, this one included; monitoring reaches
    // the admin port alone, and clients the API's alone.
    expect(policy.spec?.ingress).toEqual([
      {
        from: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'interact-flow-gateway/client': 'true' } } }],
        ports: api,
      },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: admin },
    ]);

    const egressPorts = (policy.spec?.egress ?? [])
      .flatMap((rule) => rule.ports ?? [])
      .map((p) => `${p.protocol}/${p.port}`);
    // Sentinel's port beside Redis's: REDIS_SENTINELS is a supported setting.
    expect(egressPorts.sort()).toEqual(['TCP/26379', 'TCP/443', 'TCP/53', 'TCP/6379', 'UDP/53']);
    const peersOn = (port: number) =>
      (policy.spec?.egress ?? []).filter((rule) => rule.ports?.some((p) => p.port === port)).flatMap((rule) => rule.to);
    // The cluster's DNS pods, and NodeLocal DNSCache on the node's link-local address, which no pod selector reaches.
    expect(peersOn(53)).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
      { ipBlock: { cidr: '169.254.20.10/32' } },
    ]);
    // Interact on any public address, IPv4 or IPv6: never a private or link-local one (metadata services).
    const https = peersOn(443).map((peer) => peer?.ipBlock);
    expect(https.map((block) => block?.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    expect(https[0]?.except).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']),
    );
    expect(https[1]?.except).toEqual(expect.arrayContaining(['fc00::/7', 'fe80::/10']));
  });

  it('scrapes each pod on the admin port with a PodMonitor, instead of prometheus.io annotations', () => {
    const monitor = one<Manifest & { spec: Record<string, unknown> }>(baseManifests, 'PodMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toEqual(deployment.metadata?.labels);
    // The fields the CRD names, and no other: nothing a misspelling would drop in silence.
    expect(Object.keys(monitor.spec).sort()).toEqual(['podMetricsEndpoints', 'selector']);
    expect(selects((monitor.spec.selector as { matchLabels?: Record<string, string> }).matchLabels)).toBe(true);
    expect(monitor.spec.podMetricsEndpoints).toEqual([
      { port: 'admin', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(gateway.ports?.map(({ name }) => name)).toContain('admin');
    expect(deployment.spec?.template.metadata?.annotations ?? {}).toEqual({});
    // Rendered, it lands in the overlay's namespace with the rest.
    const rendered = one<Manifest>(renderedOverlay(), 'PodMonitor');
    expect(rendered.metadata.namespace).toBe(overlaySpec?.namespace);
  });

  it('serves no Swagger UI in the example overlay, the production installation, while the base keeps it', () => {
    expect(environment.DOCS_ENABLED).toBe('true');
    const overlayEnv = one<IDeployment>(renderedOverlay(), 'Deployment').spec?.template.spec?.containers[0].env ?? [];
    expect(overlayEnv.filter(({ name }) => name === 'DOCS_ENABLED')).toEqual([
      { name: 'DOCS_ENABLED', value: 'false' },
    ]);
  });

  it('mounts the generated gateway config where GATEWAY_CONFIG_FILE points, and the keys as files it names', () => {
    const generator = kustomizations.find(({ folder }) => folder === 'deploy/base')?.spec.configMapGenerator?.[0];
    const volume = podSpec?.volumes?.find(({ configMap }) => configMap?.name === generator?.name);
    const mount = gateway.volumeMounts?.find(({ name }) => name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect(environment.GATEWAY_CONFIG_FILE).toBe(`${mount?.mountPath}/${generatorFile(generator?.files?.[0] ?? '')}`);

    // Files of the Secret's volume, read-only and readable by the node user's group alone (0440).
    expect(keysVolume?.secret).toEqual({ secretName: 'interact-flow-gateway', defaultMode: 0o440 });
    expect(keysMount?.readOnly).toBe(true);
    const keyFiles = (parseYaml(read('deploy/base/gateway.yaml')) as GatewayFile).accounts.map(
      ({ applicationKeyFile }) => applicationKeyFile,
    );
    expect(keyFiles).toEqual(DEMO_ACCOUNT_IDS.map((id) => `${keysMount?.mountPath}/INTERACT_APPLICATION_KEY_${id}`));
    // No key in the environment: of the Secret, only REDIS_URL, which may be left out.
    expect(gateway.envFrom).toBeUndefined();
    expect((gateway.env ?? []).filter(({ valueFrom }) => valueFrom !== undefined)).toEqual([
      {
        name: 'REDIS_URL',
        valueFrom: { secretKeyRef: { name: keysVolume?.secret?.secretName, key: 'REDIS_URL', optional: true } },
      },
    ]);
    // Each file is a key of the example Secret, a placeholder: never a key that looks real in the repository.
    const secret = exampleSecretData();
    expect(keyFiles.map((file) => secret[basename(file ?? '')])).toEqual(DEMO_ACCOUNT_IDS.map(() => 'replace-me'));
  });
});

// ---------------------------------------------------------------------------------------------
// Gateway configurations: the demo accounts, read by the gateway's own loader

interface GatewayFile {
  accounts: { id: string; transport: string; baseUrl: string; wsdl?: string; applicationKeyFile?: string }[];
  clients: { id: string; keySha256: string; accounts: string[] }[];
}

function gatewayFile(path: string): GatewayFile {
  const document = parseYaml(read(path)) as GatewayFile;
  expect(document.accounts.map(({ id }) => id)).toEqual(DEMO_ACCOUNT_IDS);
  expect(document.accounts.map(({ transport }) => transport)).toEqual(['rest', 'soap']);
  for (const client of document.clients) {
    expect(client.keySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(client.accounts.sort()).toEqual(DEMO_ACCOUNT_IDS);
  }
  return document;
}

// ---------------------------------------------------------------------------------------------
// Compose

interface ComposeService {
  build?: { context: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  /** Debian's docker-compose keeps a short form with a host address as it is. */
  ports?: ({ published: number; target: number } | string)[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

describe('docker-compose.yml', () => {
  // Debian's docker-compose validates the file against the Compose schema and resolves it, offline.
  // An empty env file, so that a developer's .env cannot change what is checked.
  const envFile = join(scratch, 'empty.env');
  writeFileSync(envFile, '');
  let resolved: { services: Record<string, ComposeService> } | undefined;
  const config = () =>
    (resolved ??= parseYaml(run('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', 'config'])) as {
      services: Record<string, ComposeService>;
    });

  it('is a valid Compose file with the gateway, Redis and the simulator', () => {
    const { services } = config();
    expect(Object.keys(services).sort()).toEqual(['gateway', 'redis', 'simulator']);
    // A pulled image by version and by digest; the built ones come from this repository's Dockerfile.
    expect(services.redis.image).toMatch(/^redis:7\.\d+\.\d+-alpine@sha256:[0-9a-f]{64}$/);
    // Probes and metrics from this machine only: readiness lists every account and its circuit.
    expect(services.gateway.ports).toEqual([{ published: 3000, target: 3000 }, '127.0.0.1:9464:9464/tcp']);
    // This machine only: the simulator's /__simulator/faults takes no key.
    expect(services.simulator.ports).toEqual(['127.0.0.1:3001:3001/tcp']);
    // One image for both apps, built from this repository.
    expect(services.gateway.build?.context).toBe(root.replace(/\/$/, ''));
    expect(services.simulator.image).toBe(services.gateway.image);
    expect(services.simulator.command?.at(-1)).toBe('dist/apps/interact-simulator/src/main.js');
    expect(existsSync(join(root, 'apps/interact-simulator/src/main.ts'))).toBe(true);
  });

  it('starts the gateway after a healthy Redis and simulator, with time to drain on stop', () => {
    const { services } = config();
    expect(services.gateway.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      simulator: { condition: 'service_healthy' },
    });
    for (const name of ['redis', 'simulator']) expect(services[name].healthcheck?.test[0], name).toBe('CMD');
    expect(JSON.stringify(services)).not.toMatch(/\b(curl|wget)\b/);
    const stopSeconds = Number(/^(\d+)s$/.exec(services.gateway.stop_grace_period ?? '')?.[1]);
    expect(stopSeconds).toBeGreaterThan(Number(services.gateway.environment?.SHUTDOWN_GRACE_SECONDS));
  });

  it('wires the gateway to Redis and config/compose.yaml, which the gateway loads with both demo accounts', () => {
    const { services } = config();
    const env = services.gateway.environment ?? {};
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    // Mounted read-only, since the image holds no configuration.
    expect(services.gateway.volumes).toEqual([`${join(root, 'config/compose.yaml')}:${env.GATEWAY_CONFIG_FILE}:ro`]);

    const file = gatewayFile('config/compose.yaml');
    const simulatorPort = services.simulator.environment?.SIMULATOR_PORT;
    for (const account of file.accounts) expect(account.baseUrl).toBe(`http://simulator:${simulatorPort}`);
    expect(file.clients).toEqual([
      expect.objectContaining({ keySha256: createHash('sha256').update('demo-key').digest('hex') }),
    ]);

    const loaded = loadGatewayConfig({ ...env, GATEWAY_CONFIG_FILE: join(root, 'config/compose.yaml') });
    expect(
      loaded.accounts.map(({ accountId, transport, applicationKey }) => [accountId, transport, applicationKey]),
    ).toEqual([
      ['12345678', 'rest', 'demo-app-key-12345678'],
      ['12345679', 'soap', 'demo-app-key-12345679'],
    ]);
    expect(loaded.cache.store.kind).toBe('redis');
    expect(loaded.shutdownGraceMs).toBe(Number(env.SHUTDOWN_GRACE_SECONDS) * 1000);
  });
});

describe('the gateway config of the Kubernetes base', () => {
  it('names both demo accounts and loads with the Deployment environment and the example Secret mounted', () => {
    const file = gatewayFile('deploy/base/gateway.yaml');
    expect(file.accounts.every(({ baseUrl }) => baseUrl.startsWith('https://'))).toBe(true);
    // The Secret's files as the pod has them, moved under a scratch folder.
    const secret = exampleSecretData();
    const mounted = join(scratch, 'keys');
    mkdirSync(mounted);
    for (const [key, value] of Object.entries(secret)) writeFileSync(join(mounted, key), value);
    const configFile = join(scratch, 'gateway.yaml');
    writeFileSync(configFile, read('deploy/base/gateway.yaml').replaceAll(`${keysMount?.mountPath}/`, `${mounted}/`));
    const loaded = loadGatewayConfig({ ...environment, REDIS_URL: secret.REDIS_URL, GATEWAY_CONFIG_FILE: configFile });
    expect(loaded.accounts.map(({ accountId, applicationKey }) => [accountId, applicationKey])).toEqual(
      DEMO_ACCOUNT_IDS.map((id) => [id, 'replace-me']),
    );
    expect(loaded.cache.store.kind).toBe('redis');
    expect(loaded.shutdownGraceMs).toBe(Number(environment.SHUTDOWN_GRACE_SECONDS) * 1000);
    expect(loaded.drainListenMs).toBe(Number(environment.DRAIN_LISTEN_SECONDS) * 1000);
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of the Dockerfile by stage, continuation lines joined and comments dropped. */
function dockerfileStages(text: string): { from: string; name?: string; instructions: Instruction[] }[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
  const args = Object.fromEntries(
    instructions
      .slice(
        0,
        instructions.findIndex(({ keyword }) => keyword === 'FROM'),
      )
      .map(({ args: arg }) => arg.split('=') as [string, string]),
  );
  const stages: ReturnType<typeof dockerfileStages> = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, , name] = instruction.args.split(/\s+/);
      stages.push({ from: image.replace(/\$\{(\w+)\}/g, (_, arg: string) => args[arg] ?? ''), name, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = dockerfileStages(text);
  const [build, runtime] = stages;
  const of = (stage: (typeof stages)[number], keyword: string) =>
    stage.instructions.filter((instruction) => instruction.keyword === keyword).map(({ args }) => args);

  it('passes the Dockerfile linter of the Docker language server', () => {
    expect(lintDockerfile(text).map(({ message, range }) => `line ${range.start.line + 1}: ${message}`)).toEqual([]);
  });

  it('builds and runs on the Node.js release the tests run on, pinned by digest', () => {
    const { devDependencies } = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    const image = `node:${devDependencies.node}-bookworm-slim`;
    expect(image).toMatch(/^node:24\./);
    const [from] = new Set(stages.map((stage) => stage.from));
    expect(stages.map((stage) => stage.from)).toEqual([from, from]);
    expect(from).toMatch(new RegExp(`^${image.replaceAll('.', '\\.')}@sha256:[0-9a-f]{64}$`));
  });

  it('installs without install scripts, the production dependencies alone at run time, and no configuration', () => {
    expect(of(build, 'RUN')).toEqual(['npm ci --ignore-scripts', 'npm run build']);
    expect(of(runtime, 'RUN')).toEqual(['npm ci --omit=dev --ignore-scripts && npm cache clean --force']);
    // Not config/: its files grant the demo key. The gateway's file is mounted where GATEWAY_CONFIG_FILE points.
    expect(of(runtime, 'COPY')).toEqual(['package.json package-lock.json ./', `--from=${build.name} /app/dist ./dist`]);
    expect(of(runtime, 'WORKDIR')).toEqual(['/app']);
  });

  it('labels the image with the OCI annotations, its base by name and digest', () => {
    const labels = Object.fromEntries(
      of(runtime, 'LABEL').flatMap((args) =>
        [...args.matchAll(/([\w.-]+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
      ),
    );
    const oci = 'org.opencontainers.image.';
    expect(Object.keys(labels).sort()).toEqual(
      ['base.digest', 'base.name', 'created', 'description', 'revision', 'title', 'version'].map((key) => oci + key),
    );
    expect(labels[`${oci}title`]).toBe('Interact Flow Gateway');
    // The stage's ARGs, as the build fills them: the base labels name exactly the image it starts from.
    const [name, digest] = runtime.from.split('@');
    const resolve = (value: string) => value.replace('${NODE_BASE}', name).replace('${NODE_BASE_DIGEST}', digest);
    expect(resolve(labels[`${oci}base.name`])).toBe(`docker.io/library/${name}`);
    expect(resolve(labels[`${oci}base.digest`])).toBe(digest);
    for (const arg of ['NODE_BASE', 'NODE_BASE_DIGEST', 'VERSION', 'REVISION', 'CREATED']) {
      expect(
        of(runtime, 'ARG').map((declared) => declared.split('=')[0]),
        arg,
      ).toContain(arg);
    }
  });

  it('runs the gateway as the node user on 3000 and 9464, with a health check that needs no curl', () => {
    expect(of(runtime, 'USER')).toEqual(['node']);
    expect(of(runtime, 'EXPOSE')).toEqual(['3000 9464 3001']);
    const commands = of(runtime, 'CMD').map((cmd) => JSON.parse(cmd) as string[]);
    expect(commands).toEqual([
      ['node', '--import', './dist/apps/gateway/src/tracing.js', 'dist/apps/gateway/src/main.js'],
    ]);
    // What tsc compiles to those paths exists.
    for (const script of commands[0].filter((arg) => arg.endsWith('.js'))) {
      expect(existsSync(join(root, script.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts'))), script).toBe(true);
    }
    const [healthcheck] = of(runtime, 'HEALTHCHECK');
    // On the admin port, where the probes are.
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*process\.env\.ADMIN_PORT \|\| 9464.*\/health\/live/);
    expect(healthcheck).not.toMatch(/\b(curl|wget)\b/);
  });

  it('gets from the build context exactly what it copies, and no local build output or secrets', () => {
    // CommonJS whose typings declare an ES default export: .default is the factory itself at run time.
    const ignore = dockerignore.default().add(read('.dockerignore'));
    const sent = (path: string) => !ignore.ignores(path);
    const copied = stages
      .flatMap((stage) => of(stage, 'COPY'))
      .filter((args) => !args.startsWith('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    for (const source of copied) {
      const files = statSync(join(root, source)).isDirectory() ? filesUnder(source) : [source];
      expect(files.filter(sent), source).not.toEqual([]);
    }
    // Everything the build compiles or the simulator serves (tests aside) is in the context.
    const sources = [...filesUnder('apps'), ...filesUnder('libs')].filter((path) => !path.endsWith('.spec.ts'));
    expect(sources.filter((path) => !sent(path))).toEqual([]);
    expect(sources.filter((path) => /\.(wsdl|xsd)$/.test(path)).length).toBeGreaterThanOrEqual(2);
    for (const path of [
      'node_modules/yaml/package.json',
      'dist/apps/gateway/src/main.js',
      '.git/HEAD',
      '.env',
      'test/deploy.spec.ts',
      'deploy/overlays/example/secret.env',
      'config/demo.json',
      'config/compose.yaml',
      'apps/gateway/src/cache/flow-cache.service.spec.ts',
    ]) {
      expect(sent(path), path).toBe(false);
    }
  });
});
