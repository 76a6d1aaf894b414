// deploy/examples/s3.yaml goes through the real loader, as `logship validate` does (the README's blocks and the other
// deploy configs are checked by readme-config.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('deploy/examples/s3.yaml validates, with a Hive prefix of event fields', () => {
  const config = parseConfigText(readFileSync(path.join(ROOT, 'deploy/examples/s3.yaml'), 'utf8'), 'deploy/examples/s3.yaml', {});
  const s3 = config.outputs[0] as { type: string; prefix: string; bucket: string };
  expect(s3.type).toBe('s3');
  expect(s3.bucket).toBe('logs');
  expect(s3.prefix).toBe('app/{kubernetes.namespace}/{service.name}/dt=%Y-%m-%d/hour=%H/');
});
