/**
 * The rule model shared by the assembler and the presets.
 *
 * A preset is a small state machine run once per line, per stream. `step`
 * gets the line and the stream's current state and answers with the next
 * state, ORed with `BEGIN` when the line begins a new event (otherwise the
 * line continues the pending one), or with `HOLD` when the line continues the
 * pending event only if a later line does (a blank line after a Python
 * exception, before `During handling of the above exception…`): when the next
 * line begins a new event instead, each held line becomes an event of its own,
 * so a trace never swallows what follows it. A plain integer keeps the hot
 * path free of allocations.
 *
 * States `IDLE` (0) and `LINE` (1) are shared by every preset: `IDLE` is a
 * fresh stream, or a pending event that nothing may join (a blank line);
 * `LINE` is a pending plain log line. Every other state (>= `FIRST_TRACE_STATE`)
 * means "inside an exception": the assembler then asks the preset's
 * `extractError` for `error.*` when the event is emitted. Presets keep their
 * states below 16, so that several presets can be combined in one state byte
 * (see `combined.ts`).
 */

/** ECS `error.*` fields a preset can fill. */
export interface ErrorFields {
  type?: string;
  message?: string;
  stack_trace?: string;
}

export interface MultilinePreset {
  readonly name: string;
  /** One line for docs and `--help`. */
  readonly description: string;
  /**
   * Decides for one line: the next state, ORed with `BEGIN` when `line`
   * begins a new event or with `HOLD` when it continues the pending one only
   * if a later line does.
   */
  step(line: string, state: number): number;
  /** `error.*` of an assembled event, or undefined when no trace is found in it. `state` is a trace state the event went through. */
  extractError(text: string, state: number): ErrorFields | undefined;
}

export const BEGIN = 0x100;
export const HOLD = 0x200;
export const STATE_MASK = 0xff;
/** Highest state a single preset may use. */
export const MAX_PRESET_STATE = 15;
export const IDLE = 0;
export const LINE = 1;
export const FIRST_TRACE_STATE = 2;

// ---- line shapes -----------------------------------------------------------

export const BLANK = 0;
export const INDENTED = 1;
export const TEXT = 2;

const NON_SPACE = /\S/;

/** `BLANK` (empty or whitespace only), `INDENTED` (starts with a space or tab) or `TEXT`. */
export function shape(line: string): number {
  const c = line.charCodeAt(0);
  if (c !== 32 && c !== 9) return line.length === 0 ? BLANK : TEXT;
  return NON_SPACE.test(line) ? INDENTED : BLANK;
}

// ---- helpers for extractError ----------------------------------------------

/** The text from `lines[index]` (from column `col`) to the end, trailing whitespace removed. */
export function textFrom(lines: readonly string[], index: number, col = 0): string {
  let out = col > 0 ? lines[index]!.slice(col) : lines[index]!;
  for (let i = index + 1; i < lines.length; i++) out += '\n' + lines[i]!;
  return out.trimEnd();
}

/** Builds `error.*`, leaving out empty parts. */
export function errorFields(type: string | undefined, message: string | undefined, stack: string | undefined): ErrorFields {
  const e: ErrorFields = {};
  if (type) e.type = type;
  if (message) e.message = message;
  if (stack) e.stack_trace = stack;
  return e;
}

/**
 * Splits `Type: message` (or a bare `Type`) when `Type` satisfies `typeRe`;
 * otherwise the whole text is the message.
 */
export function splitTypeMessage(s: string, typeRe: RegExp): { type?: string; message?: string } {
  const i = s.indexOf(': ');
  let type: string;
  let message: string | undefined;
  if (i >= 0) {
    type = s.slice(0, i);
    message = s.slice(i + 2).trim();
  } else {
    type = s.endsWith(':') ? s.slice(0, -1) : s;
  }
  if (!typeRe.test(type)) return { message: s.trim() };
  return message ? { type, message } : { type };
}
