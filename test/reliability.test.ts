// needs: nothing
// Short versions of the reliability runs (the long ones: npm run test:stress).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { scratch, SLOW } from './helpers.js';
import { concurrency, crashSet, crashUuid } from './reliability.js';

const { tmp } = scratch();

describe('crash safety (short)', () => {
  it('set killed with SIGKILL 25 times: state.json is always old or new, temp files cleaned', async () => {
    const r = await crashSet(tmp(), 25);
    assert.ok(r.killed > 0, 'some runs were really killed');
  });
  it('uuid free killed with SIGKILL 25 times: uuid.json is always old or new', async () => {
    const r = await crashUuid(tmp(), 25);
    assert.ok(r.killed > 0);
  });
});

describe('concurrency (short)', () => {
  it('4 processes of ls/show/rm/lock/set on 60 sandboxes beside a flock(2)-taking runtime', { skip: SLOW }, async () => {
    const r = await concurrency(tmp(), 60, 4, 4);
    assert.equal(r.ops, 16);
    assert.ok(r.takes > 0, 'the runtime stand-in took locks');
  });
});
