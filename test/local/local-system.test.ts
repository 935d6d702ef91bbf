import { strict as assert } from 'node:assert';
import { LocalRunError } from '../../scripts/local/local-run-error.js';
import { startLocalSystem } from '../../scripts/local/local-system.js';

describe('the local system', () => {
  it('refuses to start without nginx, saying how to install it', async () => {
    await assert.rejects(
      startLocalSystem({ gatewayPort: 0, nginxBinary: 'nginx-not-installed' }),
      (error: unknown) =>
        error instanceof LocalRunError &&
        /^nginx is not installed .*apt-get install -y nginx libnginx-mod-http-js/.test(error.message) &&
        !error.message.includes('\n'),
    );
  });
});
