import { z } from 'zod';

/**
 * A name that becomes a directory or file name under `buffer.path`
 * (`buffers/<name>/`, `dead_letter/<name>.ndjson`): no separators, no `.` or
 * `..`, nothing a shell or a filesystem treats specially. `a` and `./a` must
 * not share a buffer; `../../x` must not leave the state directory.
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_NAME = 128;

export const safeName = () =>
  z
    .string()
    .max(MAX_NAME)
    .refine((name) => SAFE_NAME.test(name), {
      message: 'expected letters, digits, "_", "." or "-", starting with a letter or digit (the name is a directory under buffer.path)',
    });
