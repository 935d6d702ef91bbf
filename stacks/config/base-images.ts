import * as pulumi from '@pulumi/pulumi';
import { assertBaseImages, baseImageArgs, type BaseImageOverrides } from '../../components/base-images.js';
import { fullKey, optionalString, parseJsonObject, setCommand } from './stack-config.js';

/**
 * `baseImages`: a JSON object from the Dockerfiles' base-image build arguments to image
 * references, for a registry mirror or an air-gapped copy; unset keeps the pinned digests.
 */
export function readBaseImages(config: pulumi.Config): BaseImageOverrides {
  const text = optionalString(config, 'baseImages');
  if (text === undefined) return {};
  const key = fullKey(config, 'baseImages');
  const parsed = parseJsonObject(text);
  if (parsed === undefined) {
    const example = JSON.stringify(Object.fromEntries([...baseImageArgs().keys()].map((arg) => [arg, 'registry.example.com/...:tag'])));
    throw new pulumi.RunError(
      `${key} must be a JSON object from build argument to image reference, got ${JSON.stringify(text)}. Set it with: ${setCommand(config, 'baseImages', `'${example}'`)}`,
    );
  }
  return assertBaseImages(key, parsed as Record<string, string>);
}
