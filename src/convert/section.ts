/**
 * The one shape both dialects are read into: a section (`<source>`,
 * `<parse>`, `[INPUT]`, a YAML pipeline entry) with its parameters in the
 * order written and its nested sections. The mappers `take` what they
 * convert; whatever is left over is listed in the output as not converted,
 * so no directive is dropped without a word.
 */

export interface Param {
  /** The key as written (`Read_from_Head`); looked up case-insensitively. */
  readonly key: string;
  readonly value: string;
  /** `file:line`, shown in the notes. */
  readonly where: string;
}

/** A config file that cannot be read as its dialect at all: `logship convert` exits 1. */
export class ConvertSyntaxError extends Error {}

export class Section {
  readonly params: Param[] = [];
  readonly children: Section[] = [];
  private readonly taken = new Set<Param>();
  private readonly takenChildren = new Set<Section>();

  constructor(
    /** Lower case: `source`, `match`, `filter`, `parse`, `buffer`, `input`, `output`, … */
    readonly name: string,
    /** The section's argument: a `<match PATTERN>`'s pattern, a `<label @NAME>`'s name; empty when none. */
    readonly arg: string,
    readonly where: string,
  ) {}

  /** The last value given for `key` (a later one overrides, as in both shippers), marking every one taken. */
  take(key: string): string | undefined {
    return this.takeParam(key)?.value;
  }

  /** Like `take`, with where the value was written, for notes about it. */
  takeParam(key: string): Param | undefined {
    return this.takeAll(key).at(-1);
  }

  /** Every parameter named `key`, in order (`Record`, `Add`, `Regex` repeat). */
  takeAll(key: string): Param[] {
    const lower = key.toLowerCase();
    const found = this.params.filter((p) => p.key.toLowerCase() === lower);
    for (const p of found) this.taken.add(p);
    return found;
  }

  /** The value without taking it: for routing keys the walker reads before a mapper runs. */
  peek(key: string): string | undefined {
    const lower = key.toLowerCase();
    return this.params.findLast((p) => p.key.toLowerCase() === lower)?.value;
  }

  /** Nested sections named `name`, marked taken. */
  takeChildren(name: string): Section[] {
    const found = this.children.filter((c) => c.name === name);
    for (const c of found) this.takenChildren.add(c);
    return found;
  }

  /** What no mapper took: the parameters and nested sections to be listed as not converted. */
  leftovers(): { params: Param[]; children: Section[] } {
    return {
      params: this.params.filter((p) => !this.taken.has(p)),
      children: this.children.filter((c) => !this.takenChildren.has(c)),
    };
  }
}
