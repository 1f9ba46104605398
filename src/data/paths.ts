import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function packageNameAt(directory: string): string | undefined {
  const file = path.join(directory, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

function findUpwards(start: string, packageName: string): string | undefined {
  let directory = start;
  for (;;) {
    if (packageNameAt(directory) === packageName) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * The `data` folder of the installed vega-datasets package. `require.resolve('vega-datasets/package.json')`
 * cannot be used: the package's `exports` map does not export `./package.json`, so we resolve its entry point
 * and walk up to the package root.
 */
export function vegaDatasetsDataDirectory(): string {
  let entry: string;
  try {
    entry = require.resolve('vega-datasets');
  } catch {
    throw new Error('The bundled sample needs the vega-datasets package, which is not installed: run npm install.');
  }
  const root = findUpwards(path.dirname(entry), 'vega-datasets');
  if (!root) throw new Error(`Could not find the vega-datasets package root above ${entry}: reinstall it with npm install.`);
  return path.join(root, 'data');
}

/** The project's `samples` folder, found from this file whether it runs from `src` (tsx) or from compiled output. */
export function projectSamplesDirectory(): string {
  const root = findUpwards(__dirname, 'tokenflow');
  if (!root) throw new Error(`Could not find the tokenflow project root above ${__dirname}: run tokenflow from its installed folder.`);
  return path.join(root, 'samples');
}
