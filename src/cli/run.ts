/**
 * Placeholder for `logship run`, so the CLI compiles and dispatches; the lead
 * replaces this file with the daemon.
 */
export async function runCommand(configPath: string): Promise<number> {
  process.stderr.write(`logship: run is not implemented yet (config ${configPath})\n`);
  return 1;
}
