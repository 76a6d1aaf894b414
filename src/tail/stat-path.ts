import { stat, type Stats } from 'node:fs';
import { isGone } from './tailed-file.js';

/**
 * stat(2) of a path, undefined when it is gone. Through the callback API: it
 * costs about a third less CPU than fs/promises' stat, which shows when
 * thousands of idle files are polled.
 */
export function statPath(path: string): Promise<Stats | undefined> {
  return new Promise((resolve, reject) => {
    stat(path, (err, st) => {
      if (!err) resolve(st);
      else if (isGone(err)) resolve(undefined);
      else reject(err);
    });
  });
}
