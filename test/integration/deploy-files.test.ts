// Issue 14: the deploy files (deploy/kubernetes/*, deploy/compose/*, deploy/Dockerfile)
// can't be run here (no Docker engine, no cluster), so every part that can be checked
// without one is: each embedded logship config passes `logship validate` with the
// environment the manifests give it, the parser setup works on the demo apps' real
// output through `logship parse`, the YAML parses, the manifests, the Dockerfile and
// the docs name the same image, port, probe paths and mount paths, and the state
// volume's sizeLimit covers everything the config can write into it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfigText, type ResolvedConfig } from '../../src/config/load.js';
import { CLI, REPO_ROOT, requireEngine } from '../support/logship-process.js';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;
const IMAGE = `logship:${version}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'logship-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Yaml = any;

const configMap: Yaml = parse(read('deploy/kubernetes/configmap.yaml'));
const scriptMap: Yaml = parse(read('deploy/kubernetes/demo-app-script.yaml'));
const docsOf = (file: string): Yaml[] => parseAllDocuments(read(file)).map((d) => {
  expect(d.errors, file).toEqual([]);
  return d.toJS();
});
const [nativeDeployment] = docsOf('deploy/kubernetes/deployment.yaml');
const [classicDeployment] = docsOf('deploy/kubernetes/deployment-classic.yaml');
const compose: Yaml = parse(read('deploy/compose/docker-compose.yaml'));
const dockerfile = read('deploy/Dockerfile');

const K8S_CONFIG = configMap.data['logship.yaml'] as string;
const COMPOSE_CONFIG = compose.configs['logship-config'].content as string;

/** The logship container of a pod spec: the native sidecar in initContainers, or a plain container. */
function logshipContainer(deployment: Yaml): Yaml {
  const spec = deployment.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers].find((c: Yaml) => c.name === 'logship');
}

/**
 * The environment the container gets: literal values as they are, Downward API
 * and Secret references as placeholders (what matters is that they are set).
 */
function containerEnv(container: Yaml): Record<string, string> {
  return Object.fromEntries((container.env as Yaml[]).map((e) => [e.name, e.value ?? `<${e.name} from ${Object.keys(e.valueFrom)[0]}>`]));
}

/**
 * `logship <args>` on a config text, with `env` only (not this machine's): the
 * container paths are remapped into a temp dir first, since validate's
 * preflight checks this machine's filesystem, not the container's.
 */
function cli(name: string, text: string, args: string[], env: Record<string, string>) {
  requireEngine();
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(file, text.replaceAll('/var/lib/logship', path.join(tmp, name, 'state')));
  return spawnSync(process.execPath, [CLI, ...args, '--config', file], { cwd: tmp, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 });
}

const k8sEnv = containerEnv(logshipContainer(nativeDeployment));
const composeEnv = compose.services.logship.environment as Record<string, string>;
const resolved = (name: string, text: string, env: Record<string, string>): ResolvedConfig => parseConfigText(text, name, env);

describe('every logship config in deploy/ passes `logship validate`', () => {
  it.each([
    ['deploy/kubernetes/configmap.yaml, with the Deployment\'s env', K8S_CONFIG, k8sEnv],
    ['deploy/kubernetes/configmap.yaml, with the classic Deployment\'s env', K8S_CONFIG, containerEnv(logshipContainer(classicDeployment))],
    ['deploy/compose/docker-compose.yaml configs.logship-config, with the service\'s env', COMPOSE_CONFIG, composeEnv],
    ['deploy/examples/local.yaml', read('deploy/examples/local.yaml'), {}],
  ])('%s', (name, text, env) => {
    const r = cli(name.replace(/\W+/g, '-'), text, ['validate'], env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^config OK: /);
    expect(r.status).toBe(0);
  });

  it('the check is live: the ConfigMap without the Secret\'s variable is refused, naming it', () => {
    const { ES_API_KEY: _dropped, ...env } = k8sEnv;
    const r = cli('k8s-no-secret', K8S_CONFIG, ['validate'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ES_API_KEY');
  });
});

/** The events `logship parse --config` makes of a log file. */
function parseWith(name: string, text: string, env: Record<string, string>, log: string): Yaml[] {
  const r = cli(name, text, ['parse', log], env);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((line) => JSON.parse(line));
}

/** What the demo setups must make of a Java app's log: parsed lines, one event per trace with error.*. */
function expectJavaEvents(events: Yaml[], lines: number, traces: number) {
  const withError = events.filter((e) => e.error !== undefined);
  const logLines = events.filter((e) => e.error === undefined);
  expect(events.filter((e) => e.tags?.includes('parse_failure')), 'parse failures').toEqual([]);
  expect(logLines).toHaveLength(lines);
  for (const e of logLines) {
    expect(e.log.logger).toBe('com.example.shop.OrderController');
    expect(e.process.thread.name).toMatch(/^http-nio-8080-exec-\d$/);
    expect(['info', 'warn', 'error']).toContain(e.log.level);
  }
  expect(withError).toHaveLength(traces);
  for (const e of withError) {
    expect(e.error.type).toMatch(/^[\w.]+Exception$/);
    expect(e.error.stack_trace).toContain('\n\tat ');
    expect(e.error.stack_trace).toContain('Caused by: ');
  }
}

describe('the demo apps\' output, through the configs\' parser setup', () => {
  it('compose: legacy-java-app.mjs, 60 lines with two stack traces', () => {
    const dir = path.join(tmp, 'legacy-app');
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'deploy/compose/legacy-java-app.mjs'), dir], { encoding: 'utf8', env: { RATE: '1000', LINES: '60', ROTATE_LINES: '1000' }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expectJavaEvents(parseWith('compose-parse', COMPOSE_CONFIG, composeEnv, path.join(dir, 'app.log')), 60, 2);
  });

  it('kubernetes: the stand-in script of demo-app-script.yaml, 20 lines with two stack traces', () => {
    const dir = path.join(tmp, 'k8s-app');
    const script = (scriptMap.data['app.sh'] as string).replace('while true; do', 'while [ "$i" -lt 20 ]; do').replace(/^\s*sleep 1\n/m, '').replaceAll('/var/log/app', dir);
    expect(script).not.toMatch(/while true|sleep/);
    const r = spawnSync('sh', ['-c', `mkdir -p '${dir}' && ${script}`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expectJavaEvents(parseWith('k8s-parse', K8S_CONFIG, k8sEnv, path.join(dir, 'app.log')), 20, 2);
  });
});

/** `host:port` → port. */
const portOf = (listen: string) => Number(listen.slice(listen.lastIndexOf(':') + 1));
const bytes = (quantity: string) => {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (m === null) throw new Error(`unexpected quantity ${quantity}`);
  return Number(m[1]) * 1024 ** { Ki: 1, Mi: 2, Gi: 3 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
};

describe.each([
  ['native sidecar (deployment.yaml)', nativeDeployment],
  ['classic (deployment-classic.yaml)', classicDeployment],
])('the Kubernetes %s', (_name, deployment) => {
  const pod = deployment.spec.template;
  const logship = logshipContainer(deployment);
  const config = resolved('configmap', K8S_CONFIG, k8sEnv);
  const volume = (name: string) => pod.spec.volumes.find((v: Yaml) => v.name === name);
  const mountOf = (container: Yaml, volumeName: string) => container.volumeMounts.find((m: Yaml) => m.name === volumeName);

  it('runs the image this version builds, with the config the ConfigMap holds', () => {
    expect(logship.image).toBe(IMAGE);
    const configMount = mountOf(logship, 'logship-config');
    expect(volume('logship-config').configMap.name).toBe(configMap.metadata.name);
    expect(logship.args).toEqual(['run', '--config', `${configMount.mountPath}/logship.yaml`]);
    expect(Object.keys(configMap.data)).toEqual(['logship.yaml']);
  });

  it('probes, the status port and the scrape annotations agree with server.listen', () => {
    const port = portOf(config.server!.listen);
    expect(logship.ports).toEqual([{ name: 'status', containerPort: port }]);
    expect(logship.startupProbe.httpGet).toEqual({ path: '/livez', port: 'status' });
    expect(logship.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'status' });
    expect(logship.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'status' });
    expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
  });

  it('mounts the paths the config reads and writes, and the app writes where logship reads', () => {
    const app = pod.spec.containers.find((c: Yaml) => c.name === 'app');
    const logs = mountOf(logship, 'app-logs');
    expect(logs.readOnly).toBe(true);
    expect(mountOf(app, 'app-logs').mountPath).toBe(logs.mountPath);
    expect(config.inputs[0]!.paths.every((p) => p.startsWith(`${logs.mountPath}/`))).toBe(true);
    expect(mountOf(logship, 'logship-state').mountPath).toBe(config.buffer.path);
  });

  it('gives enrich.kubernetes its Downward API env and label/annotation files, and no API token', () => {
    const env = new Map((logship.env as Yaml[]).map((e) => [e.name, e]));
    const fieldRefs = { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', POD_UID: 'metadata.uid', POD_IP: 'status.podIP', NODE_NAME: 'spec.nodeName' };
    for (const [name, fieldPath] of Object.entries(fieldRefs)) expect(env.get(name)?.valueFrom?.fieldRef?.fieldPath, name).toBe(fieldPath);
    expect(env.get('CONTAINER_NAME')?.value).toBe('app');
    const kubernetes = (parse(K8S_CONFIG) as Yaml).enrich.kubernetes;
    const podinfo = mountOf(logship, 'podinfo');
    expect(kubernetes).toEqual({ labels_file: `${podinfo.mountPath}/labels`, annotations_file: `${podinfo.mountPath}/annotations` });
    expect(volume('podinfo').downwardAPI.items).toEqual([
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
    ]);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('runs logship non-root with a read-only root filesystem, no capabilities, requests and limits', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(logship.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(Object.keys(logship.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(logship.resources.limits).sort()).toEqual(['cpu', 'memory']);
    const { requests, limits } = logship.resources;
    expect(read('docs/operations.md')).toContain(`requests \`cpu: ${requests.cpu}\`, \`memory: ${requests.memory}\` and\nlimits \`cpu: ${limits.cpu}\`, \`memory: ${limits.memory}\``);
  });

  it('budgets the state volume: its sizeLimit covers every output\'s buffer and dead letters, and no file output writes into it', () => {
    let budget = 64 * 1024; // checkpoints.json and each buffer's ack.json
    for (const output of config.outputs) {
      const maxSize = output.buffer?.max_size ?? config.buffer.max_size;
      const onDisk = (output.buffer?.type ?? config.buffer.type) === 'disk';
      if (onDisk) budget += maxSize + config.buffer.segment_size;
      if (output.type === 'elasticsearch') budget += output.dead_letter.max_bytes * (output.dead_letter.max_files + 1);
      if (output.type === 'file') expect(path.relative(config.buffer.path, output.path).startsWith('..'), `file output ${output.name} writes into the state volume`).toBe(true);
    }
    const sizeLimit = bytes(volume('logship-state').emptyDir.sizeLimit);
    expect(sizeLimit, `sizeLimit ${sizeLimit} bytes, budget ${budget} bytes`).toBeGreaterThanOrEqual(budget * 1.25);
  });

  it('fits shutdown.timeout into the grace period, and documents both in docs/operations.md', () => {
    const grace = pod.spec.terminationGracePeriodSeconds as number;
    const preStopSeconds = logship.lifecycle === undefined ? 0 : 10;
    // The app keeps at least half of the grace period (docs/operations.md has the arithmetic).
    expect(config.shutdown.timeout / 1000 + preStopSeconds).toBeLessThanOrEqual(grace / 2);
    const ops = read('docs/operations.md');
    expect(ops).toContain(`${grace} s grace period`);
    expect(ops).toContain(`\`shutdown.timeout: ${config.shutdown.timeout / 1000}s\``);
    expect(ops).toContain(`\`sizeLimit: ${volume('logship-state').emptyDir.sizeLimit}\``);
  });
});

it('the native sidecar is an init container with restartPolicy: Always; the classic variant delays logship\'s SIGTERM', () => {
  const native = nativeDeployment.spec.template.spec;
  expect(native.initContainers.map((c: Yaml) => [c.name, c.restartPolicy])).toEqual([['logship', 'Always']]);
  expect(native.containers.map((c: Yaml) => c.name)).toEqual(['app']);
  const classic = classicDeployment.spec.template.spec;
  expect(classic.initContainers).toBeUndefined();
  expect(classic.containers.map((c: Yaml) => c.name).sort()).toEqual(['app', 'logship']);
  expect(logshipContainer(classicDeployment).lifecycle.preStop.exec.command[0]).toBe('/nodejs/bin/node');
});

describe('the Compose demo', () => {
  const services = compose.services as Record<string, Yaml>;
  const config = resolved('compose', COMPOSE_CONFIG, composeEnv);

  it('builds this version\'s image from deploy/Dockerfile and mounts the config where its CMD reads it', () => {
    expect(services.logship.image).toBe(IMAGE);
    expect(services.logship.build).toEqual({ context: '../..', dockerfile: 'deploy/Dockerfile' });
    expect(dockerfile).toMatch(/^CMD \["run", "--config", "\/etc\/logship\/logship.yaml"\]$/m);
    expect(services.logship.configs).toEqual([{ source: 'logship-config', target: '/etc/logship/logship.yaml' }]);
    expect(services.logship.read_only).toBe(true);
  });

  it('mounts the app\'s logs read-only where the input reads them and the state where buffer.path points', () => {
    expect(services.logship.volumes).toEqual(expect.arrayContaining(['app-logs:/var/log/app:ro', expect.stringMatching(`^logship-state:${config.buffer.path}(\\s|$)`)]));
    expect(services['legacy-app'].volumes).toContain('app-logs:/var/log/app');
    expect(services['legacy-app'].command).toEqual(['node', '/demo/legacy-java-app.mjs', '/var/log/app']);
    expect(config.inputs[0]!.paths).toEqual(['/var/log/app/*.log']);
  });

  it('publishes the status port of server.listen, and the outputs reach services of the file', () => {
    const port = portOf(config.server!.listen);
    expect(services.logship.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    const es = config.outputs.find((o) => o.type === 'elasticsearch')!;
    const s3 = config.outputs.find((o) => o.type === 's3')!;
    expect(es.type === 'elasticsearch' && es.hosts.map((h) => new URL(h).hostname)).toEqual(['elasticsearch']);
    expect(s3.type === 's3' && new URL(s3.endpoint!).hostname).toBe('minio');
    expect(s3.type === 's3' && services['minio-setup'].command.join('\n')).toContain(`mc mb --ignore-existing demo/${s3.type === 's3' ? s3.bucket : ''}`);
    expect(services.logship.depends_on).toEqual({ elasticsearch: { condition: 'service_healthy' }, 'minio-setup': { condition: 'service_completed_successfully' } });
    expect(Number.parseInt(services.logship.stop_grace_period, 10)).toBeGreaterThan(config.shutdown.timeout / 1000);
  });

  it('runs the demo app on the build stage\'s pinned Node image; no `$` in the inline config for Compose to interpolate', () => {
    const buildImage = /^ARG BUILD_IMAGE=(\S+)$/m.exec(dockerfile)![1];
    expect(services['legacy-app'].image).toBe(buildImage);
    expect(COMPOSE_CONFIG).not.toContain('$');
  });

  it('uses the same parser setup as the Kubernetes ConfigMap', () => {
    const k8s = resolved('configmap', K8S_CONFIG, k8sEnv);
    expect(config.inputs[0]!.parser).toEqual(k8s.inputs[0]!.parser);
    expect(config.inputs[0]!.multiline).toEqual(k8s.inputs[0]!.multiline);
  });
});

describe('deploy/Dockerfile', () => {
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));

  it('pins both Node 24 bases by digest', () => {
    expect(dockerfile).toMatch(/^ARG BUILD_IMAGE=node:24-[\w.-]+@sha256:[0-9a-f]{64}$/m);
    expect(dockerfile).toMatch(/^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-[\w.:-]+@sha256:[0-9a-f]{64}$/m);
    expect(read('deploy/README.md')).toContain(/^ARG RUNTIME_IMAGE=\S+@(sha256:[0-9a-f]{64})$/m.exec(dockerfile)![1]);
  });

  it('ships no npm, no demo files, and checks /livez with node, not curl', () => {
    expect(runtime).not.toMatch(/\bnpm\b|corepack|deploy\/examples|curl|\bRUN\b/);
    expect(read('deploy/Dockerfile.dockerignore')).not.toMatch(/^!deploy/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \["\/nodejs\/bin\/node", "-e", ".*\/livez.*"\]$/m);
  });

  it('labels the image with this version, and the docs build the same tag', () => {
    expect(runtime).toContain(`org.opencontainers.image.version="${version}"`);
    for (const doc of ['deploy/README.md', 'deploy/Dockerfile']) expect(read(doc), doc).toContain(`docker build -f deploy/Dockerfile -t ${IMAGE} .`);
  });
});

describe('deploy/README.md names what the files use', () => {
  const readme = read('deploy/README.md');
  const k8s = resolved('configmap', K8S_CONFIG, k8sEnv);
  const logship = logshipContainer(nativeDeployment);

  it.each([
    ['the status port', String(portOf(k8s.server!.listen))],
    ['the probe paths', '`/livez`'],
    ['the readiness path', '`/readyz`'],
    ['the Downward API mount', logship.volumeMounts.find((m: Yaml) => m.name === 'podinfo').mountPath],
    ['the state path', k8s.buffer.path],
    ['the logs path', logship.volumeMounts.find((m: Yaml) => m.name === 'app-logs').mountPath],
    ['the state sizeLimit', `sizeLimit: ${nativeDeployment.spec.template.spec.volumes.find((v: Yaml) => v.name === 'logship-state').emptyDir.sizeLimit}`],
  ])('%s (%s)', (_what, text) => {
    expect(readme).toContain(text);
  });
});
