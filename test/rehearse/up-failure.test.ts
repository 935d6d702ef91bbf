/**
 * What `npm run rehearse` prints when its `pulumi up` fails: the CLI's long output first, then one
 * line saying what failed and what to do, last, where a person looking at the end finds it.
 */
import { strict as assert } from 'node:assert';
import { upFailure } from '../../scripts/rehearse/rehearsal.js';
import { UserError } from '../../scripts/toolkit/user-error.js';

// The end of what the docker-build plugin printed on a machine that reaches no registry (issue 24, item 2).
const unreachableBase = [
  'Updating (dev):',
  '  docker-build:index:Image books  creating (12s) error: failed to solve: node:22-bookworm-slim: failed to resolve source metadata',
  '  for docker.io/library/node:22-bookworm-slim: failed to do request: Head "https://registry-1.docker.io/v2/library/node/manifests/22-bookworm-slim":',
  '  dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: no such host',
  'Resources:',
  '    14 unchanged',
  '',
].join('\n');

describe('npm run rehearse, its pulumi up failed', () => {
  it('ends with one line saying the base images are out of reach and to rehearse with --stand-in-base-images', () => {
    const failure = upFailure(new Error(unreachableBase));
    assert.ok(failure instanceof UserError, 'printed as a user error, without a stack');
    const lines = failure.message.split('\n');
    assert.match(
      lines.at(-1)!,
      /^pulumi up could not build the images: their base images are out of reach\. .*rehearse with --stand-in-base-images$/,
    );
    assert.ok(failure.message.startsWith(unreachableBase.trimEnd()), 'the CLI output comes first, whole');
  });

  it('ends any other failure with one line saying pulumi up failed, its output above', () => {
    const failure = upFailure(new Error('error: update failed\n'));
    assert.deepEqual(failure.message.split('\n'), ['error: update failed', 'pulumi up failed (its output is above)']);
  });
});
