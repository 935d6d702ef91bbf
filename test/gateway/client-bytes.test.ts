import { strict as assert } from 'node:assert';
import { parseBodySize } from '../../apps/gateway/src/index.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { useEchoGateway } from './support/echo-gateway.js';
import { rawRequest } from './support/http.js';
import { nginxBuildNames, nginxBuilds } from './support/nginx-builds.js';

/** A GET of /books with these header lines (each `Name: value`), as bytes. */
const getWith = (...lines: Array<string | Buffer>): Buffer =>
  Buffer.concat([
    Buffer.from('GET /books HTTP/1.1\r\nHost: x\r\n'),
    ...lines.flatMap((line) => [Buffer.from(line), Buffer.from('\r\n')]),
    Buffer.from('\r\n'),
  ]);

/** `Name: value` of exactly `bytes` bytes, the value in `unit`s (padded with `a`). */
function headerLine(name: string, bytes: number, unit: string): string {
  const room = bytes - `${name}: `.length;
  const units = Math.floor(room / Buffer.byteLength(unit));
  return `${name}: ${unit.repeat(units)}${'a'.repeat(room - units * Buffer.byteLength(unit))}`;
}

const emoji = '\u{1F600}';
/** The header lines nginx copies into its error log, with what a client could hide in them. */
const forgedField = '", upstream: "http://forged.example/';

for (const build of nginxBuilds) {
  describe(`what clients send, counted in bytes and kept safe in the logs, on ${nginxBuildNames[build]}`, function () {
    this.timeout(30000);
    const gateway = useEchoGateway(
      {
        clientMaxBodySize: parseBodySize('clientMaxBodySize', '1k'),
        rateLimit: { requestsPerSecond: 10000, burst: 10000, connectionsPerClient: 1000 },
      },
      undefined,
      build,
    );

    it('limits the header lines to 8,192 bytes in total, however many characters they spell', async () => {
      const seenBefore = gateway().seen.length;
      // 7,005 bytes each, 1,750 characters (3,500 in UTF-16).
      const twoOfEmoji = await rawRequest(gateway().port, getWith(`X-A: ${emoji.repeat(1750)}`, `X-B: ${emoji.repeat(1750)}`));
      assert.equal(twoOfEmoji.status, 431, 'two headers of 1,750 emoji');
      const rest = 8192 - 'Host: x\r\n'.length - 2;
      for (const unit of [emoji, '\u00e9', '\u20ac']) {
        assert.equal((await rawRequest(gateway().port, getWith(headerLine('X-A', rest, unit)))).status, 200, `8,192 bytes of ${unit}`);
        assert.equal((await rawRequest(gateway().port, getWith(headerLine('X-A', rest + 1, unit)))).status, 431, `8,193 bytes of ${unit}`);
      }
      const latin1 = Buffer.concat([Buffer.from('X-A: '), Buffer.alloc(rest - 'X-A: '.length + 1, 0xe9)]);
      assert.equal((await rawRequest(gateway().port, getWith(latin1))).status, 431, '8,193 bytes that are not UTF-8');
      assert.equal(gateway().seen.length, seenBefore + 3, 'only the three of 8,192 bytes reached the backend');
    });

    it('logs every client field as UTF-8 JSON: control bytes escaped, the rest cut where the bytes stop being text', async () => {
      const id = (name: string) => `client-bytes-${name}-${build}`;
      const cases: Array<[name: string, line: Buffer, userAgent: string]> = [
        ['invalid', getWith(`X-Request-Id: ${id('invalid')}`, Buffer.from('User-Agent: x\xff\xfe', 'latin1')), 'x\ufffd'],
        ['text', getWith(`X-Request-Id: ${id('text')}`, 'User-Agent: M\u00fcller \u{1F600}'), 'M\u00fcller \u{1F600}'],
        ['escape', getWith(`X-Request-Id: ${id('escape')}`, 'User-Agent: \x1b[31mred\x07'), '\x1b[31mred\x07'],
        ['c1', getWith(`X-Request-Id: ${id('c1')}`, 'User-Agent: a\u009bb'), 'a\ufffd'],
        // 600 bytes of 3-byte characters: the first 512 bytes end inside the 171st.
        ['long', getWith(`X-Request-Id: ${id('long')}`, `User-Agent: ${'\u20ac'.repeat(200)}`), `${'\u20ac'.repeat(170)}\ufffd`],
        // ASCII cut at 512 bytes too, and ASCII of 512 bytes kept whole.
        ['ascii-long', getWith(`X-Request-Id: ${id('ascii-long')}`, `User-Agent: ${'a'.repeat(600)}`), 'a'.repeat(512)],
        ['ascii-512', getWith(`X-Request-Id: ${id('ascii-512')}`, `User-Agent: ${'b'.repeat(512)}`), 'b'.repeat(512)],
      ];
      for (const [, line] of cases) await rawRequest(gateway().port, line);
      const rawPath = Buffer.concat([
        Buffer.from('GET /books/'),
        Buffer.from([0xff, 0xc3]),
        Buffer.from(` HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id('path')}\r\n\r\n`),
      ]);
      assert.equal((await rawRequest(gateway().port, rawPath)).status, 400);

      const records = async () => {
        const lines = (await gateway().accessLogBytes()).toString('latin1').split('\n').filter(Boolean);
        // Decoding fails on any byte sequence that is not UTF-8.
        return lines.map(
          (line) => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(line, 'latin1'))) as Record<string, unknown>,
        );
      };
      const logged = async (name: string) => (await records()).find((record) => record['requestId'] === id(name));
      await eventually('the requests are logged', async () => (await logged('path')) !== undefined);
      for (const [name, , userAgent] of cases) assert.equal((await logged(name))?.['userAgent'], userAgent, name);
      assert.equal((await logged('path'))?.['uri'], '/books/\ufffd', 'a raw 0xff in the path');
      const text = (await gateway().accessLogBytes()).toString('latin1');
      assert.ok(text.includes('\\u001B[31mred\\u0007'), 'ESC and BEL written as JSON escapes');
      // eslint-disable-next-line no-control-regex -- finding a raw control byte is the point.
      assert.ok(!/[\x00-\x09\x0b-\x1f\x7f]/.test(text), 'no raw control byte in the log');
    });

    it('refuses a Host or Referer that would end its quotes in the error log, and writes no line of a request before its checks', async () => {
      const outputBefore = gateway().nginxOutput.length;
      const refused: Array<[what: string, line: string | Buffer]> = [
        ['a Referer with ESC, BEL and a forged field', getWith(`Referer: \x1b[31mred\x07${forgedField}`)],
        ['a printable Referer with a forged field', getWith(`Referer: https://books.example.com/${forgedField}`)],
        ['a Referer with a space', getWith('Referer: https://books.example.com/a b')],
        ['a Referer with a raw 0xff', getWith(Buffer.from('Referer: https://books.example.com/\xff', 'latin1'))],
        ['a Host with a quote', 'GET /books HTTP/1.1\r\nHost: x"y\r\n\r\n'],
        ['a quote in the path', 'GET /books/"x HTTP/1.1\r\nHost: x\r\n\r\n'],
        [
          'a body over maxBodySize, with that Referer',
          `POST /books HTTP/1.1\r\nHost: x\r\nReferer: \x1b[31m${forgedField}\r\nContent-Length: 5000\r\n\r\n`,
        ],
      ];
      for (const [what, line] of refused) assert.equal((await rawRequest(gateway().port, line)).status, 400, what);
      const tooLarge = await rawRequest(
        gateway().port,
        'POST /books HTTP/1.1\r\nHost: x\r\nReferer: https://books.example.com/\r\nContent-Length: 5000\r\n\r\n',
      );
      assert.equal(tooLarge.status, 413, 'a body over maxBodySize');
      // What browsers send passes: the Referer a URL with its quotes percent-encoded.
      const browser = 'GET /books HTTP/1.1\r\nHost: books.example.com:8080\r\nReferer: https://books.example.com/list?q=%22node%22\r\n\r\n';
      assert.equal((await rawRequest(gateway().port, browser)).status, 200);
      assert.deepEqual(gateway().nginxOutput.slice(outputBefore), [], "no error-log line, so none with the client's bytes");
    });
  });
}
