import { strict as assert } from 'node:assert';
import { decimalAbovePattern } from '../../apps/gateway/src/render/decimal-pattern.js';

describe('decimalAbovePattern: how a map compares a size with a limit', () => {
  it('matches exactly the numbers above the limit, for every limit and number up to 1,200', () => {
    for (let limit = 0; limit <= 1200; limit += 1) {
      const above = new RegExp(decimalAbovePattern(limit));
      for (let value = 0; value <= 1200; value += 1) {
        if (above.test(String(value)) !== value > limit)
          assert.fail(`limit ${limit}: ${value} ${value > limit ? 'not matched' : 'matched'}`);
      }
    }
  });

  it('reads leading zeros as nginx does, and refuses what is not digits', () => {
    const above = new RegExp(decimalAbovePattern(1048576));
    assert.deepEqual(
      ['1048576', '1048577', '0001048577', '0001048576', '99999999999999999999', '', '-1', '1e9', '1048577 '].map((text) =>
        above.test(text),
      ),
      [false, true, true, false, true, false, false, false, false],
    );
  });

  it('holds at the limits the gateway renders, just below, at and above each', () => {
    for (const limit of [8192, 1048576, 2097152, 10485760, Number.MAX_SAFE_INTEGER - 1]) {
      const above = new RegExp(decimalAbovePattern(limit));
      for (const delta of [-1000, -10, -1, 0, 1, 10, 1000]) {
        const value = BigInt(limit) + BigInt(delta);
        assert.equal(above.test(String(value)), delta > 0, `limit ${limit}, ${value}`);
      }
    }
  });

  it('refuses a limit that is not a whole number', () => {
    assert.throws(() => decimalAbovePattern(1.5), /1\.5 is not a whole number/);
    assert.throws(() => decimalAbovePattern(-1), /-1 is not a whole number/);
  });
});
