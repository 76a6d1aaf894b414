import { apache, nginx } from './access-log.js';
import { auto } from './auto.js';
import { apacheError, nginxError } from './error-log.js';
import { json } from './json.js';
import { keyValue } from './key-value.js';
import { klog } from './klog.js';
import { logfmt } from './logfmt.js';
import { plain } from './plain.js';
import { regex } from './regex.js';
import { syslog } from './syslog.js';
import type { ParserModule } from './types.js';

/** Content parsers by name: adding a format is one module and one line here. */
export const parserRegistry: ReadonlyMap<string, ParserModule<unknown>> = new Map(
  [json, logfmt, keyValue, regex, syslog, nginx, apache, nginxError, apacheError, klog, plain, auto].map(
    (m) => [m.name, m as ParserModule<unknown>] as const,
  ),
);

/** Container wrappers: decoded first, then multi-line, then the content parser (default `auto`). */
export const containerFormats = ['cri', 'docker'] as const;
export type ContainerFormat = (typeof containerFormats)[number];

export function isContainerFormat(name: string): name is ContainerFormat {
  return (containerFormats as readonly string[]).includes(name);
}

/** Every name `parser:` and `logship parse --format` accept. */
export function formatNames(): string[] {
  return [...parserRegistry.keys(), ...containerFormats];
}
