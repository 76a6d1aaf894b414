import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { parseDownwardFile } from './downward-file.js';
import type { FieldEntries, FieldSource } from './field-source.js';
import type { KubernetesEnrichConfig } from './schema.js';

type EnvKey = keyof KubernetesEnrichConfig['env'];

/** Each Downward API variable and the fields it fills: ECS first, then Filebeat's `kubernetes.*`. */
const ENV_FIELDS: Record<EnvKey, readonly string[]> = {
  pod_name: ['orchestrator.resource.name', 'kubernetes.pod.name'],
  pod_namespace: ['orchestrator.namespace', 'kubernetes.namespace'],
  pod_uid: ['kubernetes.pod.uid'],
  pod_ip: ['kubernetes.pod.ip'],
  node_name: ['host.name', 'kubernetes.node.name'],
  container_name: ['container.name', 'kubernetes.container.name'],
};

/** A labels or annotations file and what was last read from it. */
interface WatchedFile {
  readonly key: 'labels_file' | 'annotations_file';
  readonly path: string;
  readonly root: 'labels' | 'annotations';
  text: string | undefined;
  entries: FieldEntries;
  /** Malformed lines in `text`, if any. */
  parseProblem: string | undefined;
  /** The last problem logged (an unreadable file, malformed lines): each is logged once, until it changes. */
  problem: string | undefined;
}

/**
 * Pod metadata from the Downward API, without API access: the environment
 * variables are read once (they cannot change in a running container), the
 * labels and annotations files on every poll (the kubelet rewrites them when
 * the pod's metadata changes, by swapping a symlink). A file that cannot be
 * read keeps the values last read from it.
 */
export class KubernetesMetadata implements FieldSource {
  version = 0;
  entries: FieldEntries = [];
  private readonly fromEnv: FieldEntries;
  private readonly files: WatchedFile[];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly config: KubernetesEnrichConfig,
    private readonly logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.fromEnv = this.readEnv(env);
    const watched = (key: WatchedFile['key'], root: WatchedFile['root']): WatchedFile[] => {
      const path = config[key];
      return path === undefined ? [] : [{ key, path, root, text: undefined, entries: [], parseProblem: undefined, problem: undefined }];
    };
    this.files = [...watched('labels_file', 'labels'), ...watched('annotations_file', 'annotations')];
    this.rebuild();
  }

  /** Reads the files once (so the first events carry them), then polls them. */
  async start(): Promise<void> {
    await this.poll();
    if (this.files.length > 0) this.timer = setInterval(() => void this.poll(), this.config.poll_interval).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private readEnv(env: NodeJS.ProcessEnv): FieldEntries {
    const entries: [string[], string][] = [[['orchestrator', 'type'], 'kubernetes']];
    const unset: string[] = [];
    for (const [key, fields] of Object.entries(ENV_FIELDS) as [EnvKey, readonly string[]][]) {
      const name = this.config.env[key];
      const value = env[name];
      if (value === undefined || value === '') {
        unset.push(`${name} (enrich.kubernetes.env.${key}: ${fields.join(', ')})`);
        continue;
      }
      for (const f of fields) entries.push([f.split('.'), value]);
      if (key === 'pod_name') entries.push([['orchestrator', 'resource', 'type'], 'pod']);
    }
    if (unset.length > 0) this.logger.warn({ unset }, `enrich.kubernetes: environment variables not set, their fields are left out: ${unset.join('; ')}`);
    return entries;
  }

  private async poll(): Promise<void> {
    // A slow read (a stalled volume) must not pile up polls behind it.
    if (this.polling) return;
    this.polling = true;
    try {
      let changed = false;
      for (const file of this.files) changed = (await this.read(file)) || changed;
      if (changed) this.rebuild();
    } finally {
      this.polling = false;
    }
  }

  /** True when the file's entries changed. */
  private async read(file: WatchedFile): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.problem(file, `enrich.kubernetes.${file.key}: cannot read ${file.path} (${code}); ${file.root} ${file.text === undefined ? 'are left out' : 'keep the values last read'} until it can be read`);
      return false;
    }
    if (text === file.text) {
      this.problem(file, file.parseProblem);
      return false;
    }
    const first = file.text === undefined;
    file.text = text;
    const { values, problems } = parseDownwardFile(text);
    file.parseProblem = problems.length === 0 ? undefined : `enrich.kubernetes.${file.key}: ${file.path}: ${problems.length} malformed line(s) left out: ${problems.join('; ')}`;
    this.problem(file, file.parseProblem);
    // Filebeat's dedot: `app.kubernetes.io/name` becomes one key, `app_kubernetes_io/name`, not three nested objects.
    file.entries = [...values].map(([k, v]) => [['kubernetes', file.root, k.replaceAll('.', '_')], v]);
    if (!first) this.logger.info({ file: file.path, [file.root]: values.size }, `enrich.kubernetes: ${file.root} changed, new events carry them`);
    return true;
  }

  private problem(file: WatchedFile, problem: string | undefined): void {
    if (problem === file.problem) return;
    if (problem !== undefined) this.logger.warn({ file: file.path }, problem);
    else if (file.problem !== undefined) this.logger.info({ file: file.path }, `enrich.kubernetes.${file.key}: ${file.path} read again`);
    file.problem = problem;
  }

  private rebuild(): void {
    this.entries = [...this.fromEnv, ...this.files.flatMap((f) => f.entries)];
    this.version++;
  }
}
