import { ManifestCommand } from '../../lib/manifest-command.js';

export default class Create extends ManifestCommand {
  static override summary = 'Create a base image, image, function, secret, endpoint or schedule, or everything in a manifest';
  static override description =
    'With -f, creates every document of a YAML manifest in dependency order; one that exists already is an error (apply -f updates instead).';
  static override examples = [
    '<%= config.bin %> create -f examples/hello.yaml',
    '<%= config.bin %> create function --image python3 hello ./hello.py',
  ];

  async run(): Promise<void> {
    await this.writeAll('create', 'a kind: dispatch create base-image|image|function|secret|endpoint|schedule …');
  }
}
