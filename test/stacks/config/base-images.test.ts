/**
 * `baseImages`: the Dockerfiles' base images from a registry mirror or an air-gapped copy,
 * passed to each build as the build arguments its Dockerfile declares; a mistake fails before any
 * resource, naming the key.
 */
import assert from 'node:assert/strict';
import { runProgram, runProgramExpectingError } from '../../../scripts/capture/program-run.js';
import { dockerDesktop, imageNames } from '../../support/scenarios.js';

const imageType = 'docker-build:index:Image';
const mirrored = {
  NODE_IMAGE: 'registry.example.com/mirror/node:22.22.2-alpine3.23',
  NGINX_IMAGE: `registry.example.com:5000/mirror/nginx-unprivileged@sha256:${'c'.repeat(64)}`,
};

describe('baseImages stack config', () => {
  it('leaves every build on the pinned digests of its Dockerfile when unset', async () => {
    const run = await runProgram(dockerDesktop);
    for (const name of imageNames) assert.equal(run.named(imageType, name).inputs.buildArgs, undefined, name);
  });

  it('passes each image the base images its Dockerfile declares, and gives the images new tags', async () => {
    const pinned = await runProgram(dockerDesktop);
    const run = await runProgram({ ...dockerDesktop, config: { ...dockerDesktop.config, baseImages: JSON.stringify(mirrored) } });
    assert.deepEqual(run.named(imageType, 'books').inputs.buildArgs, { NODE_IMAGE: mirrored.NODE_IMAGE });
    assert.deepEqual(run.named(imageType, 'gateway').inputs.buildArgs, { NGINX_IMAGE: mirrored.NGINX_IMAGE });
    assert.deepEqual(run.named(imageType, 'books-react').inputs.buildArgs, mirrored);
    // Docker Desktop's pods run the loaded images by tag: another base image is another tag.
    for (const name of imageNames)
      assert.notEqual(run.named(imageType, name).inputs.tags[0], pinned.named(imageType, name).inputs.tags[0], name);
  });

  const mistakes = [
    {
      what: 'text that is not JSON',
      value: 'NODE_IMAGE=node:22',
      message: /books-gateway:baseImages must be a JSON object from build argument to image reference.*pulumi config set baseImages/,
    },
    {
      what: 'a build argument no Dockerfile declares',
      value: '{"PYTHON_IMAGE":"python:3.13"}',
      message: /books-gateway:baseImages names an unknown build argument "PYTHON_IMAGE".*NODE_IMAGE, NGINX_IMAGE/,
    },
    {
      what: 'a reference with neither tag nor digest',
      value: '{"NODE_IMAGE":"registry.example.com/node"}',
      message: /books-gateway:baseImages\.NODE_IMAGE must be an image reference with a tag or a digest/,
    },
    {
      what: 'a malformed reference',
      value: '{"NGINX_IMAGE":"Nginx Unprivileged:1.28"}',
      message: /books-gateway:baseImages\.NGINX_IMAGE must be an image reference/,
    },
  ];
  for (const { what, value, message } of mistakes) {
    it(`refuses ${what} before any resource, naming the key`, async () => {
      const failure = await runProgramExpectingError({ ...dockerDesktop, config: { ...dockerDesktop.config, baseImages: value } });
      assert.match(failure.error.message, message);
      assert.deepEqual(failure.resources, []);
    });
  }
});
