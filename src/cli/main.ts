/** The `vigil` command line. */
export function main(argv: readonly string[]): Promise<number> {
  process.stdout.write(`vigil: not yet wired (${argv.join(' ')})\n`);
  return Promise.resolve(0);
}
