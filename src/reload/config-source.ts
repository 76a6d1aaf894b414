import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfigText, type ResolvedConfig } from '../config/load.js';
import { preflight } from '../config/preflight.js';
import type { Env } from '../config/substitute.js';
import { systemReason } from '../startup-error.js';

/** A config as `run` uses it, and the hash of the text it came from (`logship_config_info{hash}`). */
export interface ConfigSource {
  readonly config: ResolvedConfig;
  readonly hash: string;
}

/** The first 16 hex digits of the text's SHA-256: what the watcher compares and the metric shows. */
export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The file's text, through any symlinks (a ConfigMap's `..data` swap reads the new target). */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read config file ${file}: ${systemReason(err) ?? String(err)}`]);
  }
}

/** The config file's text and its hash, read once: the hash always belongs to the text validated. */
export async function readConfigSource(file: string): Promise<{ text: string; hash: string }> {
  const text = await readConfigText(file);
  return { text, hash: configHash(text) };
}

/**
 * Validates a config exactly as `logship validate` does (schema, cross-checks,
 * preflight). Throws ConfigError with every problem, by config path.
 */
export async function validateConfigText(text: string, file: string, env: Env = process.env): Promise<ResolvedConfig> {
  const config = parseConfigText(text, file, env);
  const problems = await preflight(config);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

/** Reads and validates the config file: the start of `logship run`. */
export async function loadConfigSource(file: string, env: Env = process.env): Promise<ConfigSource> {
  const { text, hash } = await readConfigSource(file);
  return { config: await validateConfigText(text, file, env), hash };
}
