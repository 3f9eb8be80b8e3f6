import { ManifestCommand } from '../../lib/manifest-command.js';

export default class Update extends ManifestCommand {
  static override summary = 'Update a base image, image, function, secret, endpoint or schedule, or everything in a manifest';
  static override description = 'With -f, updates every document of a YAML manifest in dependency order; each must exist already.';
  static override examples = ['<%= config.bin %> update -f examples/hello.yaml', '<%= config.bin %> update function hello ./hello.py'];

  async run(): Promise<void> {
    await this.writeAll('update', 'a kind: dispatch update base-image|image|function|secret|endpoint|schedule …');
  }
}
