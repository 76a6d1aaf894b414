/** Static fields as the encoder sets them: a path (`['kubernetes', 'pod', 'name']`) and its value. */
export type FieldEntries = readonly (readonly [path: readonly string[], value: unknown])[];

/**
 * Fields that may change while logship runs (a Downward API file rewritten).
 * `version` grows with every change, so a reader re-derives its own fields
 * only then: one number compared per batch, nothing per event.
 */
export interface FieldSource {
  readonly version: number;
  readonly entries: FieldEntries;
}
