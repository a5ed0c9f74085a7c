/**
 * The server's heap settings (src/server/heap.ts) hold without any command-line flag, as when a service
 * file runs `node build/node/src/server/main.js`: under allocation churn the young generation stays at
 * 2 × 1 MiB, where V8 left to itself grows it (the control run).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const HEAP_MODULE = pathToFileURL('build/node/src/server/heap.js').href;

/** New-space size in bytes after a churn of short-lived objects, in a fresh `node` without flags. */
function newSpaceAfterChurn(withHeapModule: boolean): number {
  const script = `
    ${withHeapModule ? `await import(${JSON.stringify(HEAP_MODULE)});` : ''}
    const v8 = await import('node:v8');
    const keep = [];
    for (let i = 0; i < 3e6; i++) {
      keep.push({ a: i, b: 'x' + i });
      if (keep.length > 50000) keep.splice(0, 25000);
    }
    console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

describe('heap settings', () => {
  it('keep the young generation at 2 × 1 MiB without command-line flags', () => {
    const withSettings = newSpaceAfterChurn(true);
    const without = newSpaceAfterChurn(false);
    assert.ok(without > 2 * 1024 * 1024, `control: V8 alone grew new space to ${without} bytes`);
    assert.ok(withSettings <= 2 * 1024 * 1024, `new space ${withSettings} bytes`);
  });
});
