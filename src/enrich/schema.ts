import { z } from 'zod';
import { duration, HOUR } from '../config/units.js';

const envName = (fallback: string, fields: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').default(fallback).describe(`Environment variable holding ${fields}.`);

const downwardFile = (what: string, example: string) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(`A Downward API volume file of the pod's ${what} (\`${example}\`): \`key="value"\` lines, re-read when it changes and added as \`kubernetes.${what}.*\` (dots in keys become \`_\`). Unset: no ${what}.`);

export const kubernetesEnrichSchema = z.strictObject({
  env: z
    .strictObject({
      pod_name: envName('POD_NAME', '`kubernetes.pod.name` and `orchestrator.resource.name` (with `orchestrator.resource.type: pod`)'),
      pod_namespace: envName('POD_NAMESPACE', '`kubernetes.namespace` and `orchestrator.namespace`'),
      pod_uid: envName('POD_UID', '`kubernetes.pod.uid`'),
      pod_ip: envName('POD_IP', '`kubernetes.pod.ip`'),
      node_name: envName('NODE_NAME', '`kubernetes.node.name` and `host.name`'),
      container_name: envName('CONTAINER_NAME', '`kubernetes.container.name` and `container.name`'),
    })
    .prefault({})
    .describe('Names of the environment variables the Downward API fills (`fieldRef: metadata.name`, …); one that is unset or empty is left out with a warning.'),
  labels_file: downwardFile('labels', '/etc/podinfo/labels'),
  annotations_file: downwardFile('annotations', '/etc/podinfo/annotations'),
  poll_interval: duration({ min: 100, max: 1 * HOUR })
    .default(5000)
    .describe('How often the labels and annotations files are read again (the kubelet updates them by swapping a symlink, which no file watch reports reliably).'),
});

export const enrichSchema = z
  .strictObject({
    kubernetes: kubernetesEnrichSchema
      .optional()
      .describe('Pod metadata from the Downward API, with no Kubernetes API access: `enrich: { kubernetes: {} }` turns it on. Every event gets `orchestrator.type: kubernetes`, the ECS `orchestrator.*`, `container.name`, `host.name` and the `kubernetes.*` fields of Filebeat; an input\'s own `fields` win over them.'),
  })
  .prefault({})
  .describe('Metadata added to every event of every input.');

export type EnrichConfig = z.output<typeof enrichSchema>;
export type KubernetesEnrichConfig = z.output<typeof kubernetesEnrichSchema>;
