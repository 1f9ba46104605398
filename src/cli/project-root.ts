import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The tokenflow checkout this code runs from (works from src/ under tsx and from lib/ after a build). */
export function projectRoot(start: string = __dirname): string {
  let directory = start;
  for (;;) {
    const manifest = path.join(directory, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'tokenflow')
      return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`Cannot find the tokenflow project folder above ${start}.`);
    directory = parent;
  }
}
