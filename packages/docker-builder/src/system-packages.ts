import { InvalidInputError } from '@dispatch/core/driver';
import type { SystemPackage } from '@dispatch/core/driver';

/** A Debian package name (Debian Policy 5.6.1). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** A Debian version, including an epoch and a revision. */
const PACKAGE_VERSION = /^[A-Za-z0-9.+~:-]+$/;

/**
 * Turns system packages into the `SYSTEM_PACKAGES` build arg (`name` or `name=version`, space-separated).
 * The Dockerfiles let the shell split that value into words, so every name and version is checked first:
 * anything else would be a shell injection or a confusing apt error.
 */
export function systemPackagesArg(packages: readonly SystemPackage[]): string {
  return packages
    .map(({ name, version }) => {
      if (typeof name !== 'string' || !PACKAGE_NAME.test(name)) {
        throw new InvalidInputError(
          `system package name "${String(name)}" is not a Debian package name (lower case letters, digits, "+", "-", ".")`,
        );
      }
      if (version === undefined || version === null || version === '') return name;
      if (typeof version !== 'string' || !PACKAGE_VERSION.test(version)) {
        throw new InvalidInputError(`system package "${name}" has an invalid version "${String(version)}"`);
      }
      return `${name}=${version}`;
    })
    .join(' ');
}
