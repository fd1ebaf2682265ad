// npm run test:stress: the long reliability runs. Not part of npm test.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { scratch } from '../helpers.js';
import { concurrency, crashSet, crashUuid } from '../reliability.js';

const { tmp } = scratch();
const KILLS = Number(process.env.STRESS_KILLS ?? 250);

describe('stress', () => {
  it(`set killed with SIGKILL ${KILLS} times`, { timeout: 600_000 }, async () => {
    const r = await crashSet(tmp(), KILLS);
    console.log(`set: ${r.killed} killed, ${r.completed} completed`);
    assert.ok(r.killed >= KILLS / 2);
  });
  it(`uuid free killed with SIGKILL ${KILLS} times`, { timeout: 600_000 }, async () => {
    const r = await crashUuid(tmp(), KILLS);
    console.log(`uuid free: ${r.killed} killed, ${r.completed} completed`);
    assert.ok(r.killed >= KILLS / 2);
  });
  it('8 processes x 60 operations on 200 sandboxes beside the runtime stand-in', { timeout: 600_000 }, async () => {
    const r = await concurrency(tmp(), 200, 8, 60);
    console.log(`concurrency: ${r.ops} operations, ${r.takes} runtime lock takes, ${r.removed} sandboxes removed`);
  });
});
