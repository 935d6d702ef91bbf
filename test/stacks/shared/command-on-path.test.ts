import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findOnPath, requireCommandForUp } from '../../../stacks/shared/command-on-path.js';

describe('commands a kubeconfig runs', () => {
  let folder: string;
  before(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'on-path-'));
    fs.writeFileSync(path.join(folder, 'aws'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(folder, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
    fs.mkdirSync(path.join(folder, 'a-folder'));
  });
  after(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('finds an executable file on the PATH, and neither a plain file nor a folder', () => {
    const env = { PATH: ['/nonexistent', folder].join(path.delimiter) };
    assert.equal(findOnPath('aws', env), path.join(folder, 'aws'));
    assert.equal(findOnPath('not-executable', env), undefined);
    assert.equal(findOnPath('a-folder', env), undefined);
    assert.equal(findOnPath('aws', {}), undefined);
  });

  for (const preview of [false, true]) {
    it(
      preview ? 'checks nothing on preview, which creates no cluster' : 'fails on up when the command is missing, with how to install it',
      async () => {
        await pulumi.runtime.setMocks(
          { newResource: () => ({ id: undefined, state: {} }), call: () => ({}) },
          'books-gateway',
          'test',
          preview,
        );
        const check = () => requireCommandForUp('aws', 'Install the aws CLI v2.', { PATH: path.join(folder, 'a-folder') });
        if (preview) assert.doesNotThrow(check);
        else
          assert.throws(
            check,
            /^Error: aws is not on the PATH, and the new cluster's kubeconfig runs it for every Kubernetes call\. Install the aws CLI v2\.$/,
          );
        assert.doesNotThrow(() => requireCommandForUp('aws', 'unused', { PATH: folder }));
      },
    );
  }
});
