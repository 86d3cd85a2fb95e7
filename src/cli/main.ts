/** The `vigil` command line: parses arguments, runs a command, returns the exit code. */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { formatLocation, LEVELS, type Level } from '../core/index.ts';
import { checkRules, scan, type InputFormat, type ScanProgress } from '../app/index.ts';
import { addServerCommands } from './server.ts';
import { writeSummary, summaryJson } from './summary.ts';
import {
  OUTPUT_FORMATS,
  writeCsv,
  writeJson,
  writeJsonl,
  writeTable,
  type OutputFormat,
  type Sink,
} from './timeline.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Exit codes: a contract for scripts. */
export const EXIT = { ok: 0, usage: 1, partial: 2, internal: 3 } as const;

const INPUT_FORMATS: readonly InputFormat[] = ['auto', 'evtx', 'json', 'syslog', 'auditd', 'zeek'];

function oneOf<T extends string>(what: string, allowed: readonly T[]) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${what} must be one of ${allowed.join(', ')}`);
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const stdout: Sink = { write: (s) => process.stdout.write(s) };
const stderr: Sink = { write: (s) => process.stderr.write(s) };

interface ScanFlags {
  rules?: string[];
  builtin: boolean;
  minLevel?: Level;
  format: OutputFormat;
  inputFormat: InputFormat;
  output?: string;
  summary?: string;
  threads?: number;
  progress: boolean;
  color?: boolean;
}

/**
 * Joins many small writes into ~1 MiB ones: a timeline can be tens of thousands of lines. Text is joined
 * as text; once bytes come (lines the workers rendered), the chunk goes out as one buffer.
 */
function buffered(target: Sink): Sink & { flush(): void } {
  let parts: (string | Uint8Array)[] = [];
  let size = 0;
  let bytes = false;
  const flush = (): void => {
    if (parts.length === 0) return;
    if (!bytes) target.write((parts as string[]).join(''));
    else target.write(Buffer.concat(parts.map((p) => (typeof p === 'string' ? textBytes(p) : p))));
    parts = [];
    size = 0;
    bytes = false;
  };
  return {
    write(s: string | Uint8Array) {
      parts.push(s);
      if (typeof s === 'string') size += s.length;
      else {
        size += s.byteLength;
        bytes = true;
      }
      if (size >= 1 << 20) flush();
    },
    flush,
  };
}

/** Writes all of `chunk` to `fd` (a write may take less than it was given). */
function writeAll(fd: number, chunk: string | Uint8Array): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  for (let done = 0; done < bytes.byteLength;) {
    done += writeSync(fd, bytes, done, bytes.byteLength - done);
  }
}

/** The separators a timeline writes between lines, encoded once. */
const SEPARATORS = new Map(['\n', ',\n'].map((s) => [s, Buffer.from(s)]));

function textBytes(s: string): Uint8Array {
  return SEPARATORS.get(s) ?? Buffer.from(s);
}

async function runScan(paths: string[], flags: ScanFlags): Promise<number> {
  const showProgress = flags.progress && process.stderr.isTTY;
  const bar = showProgress
    ? new cliProgress.SingleBar(
        {
          format: 'scanning {bar} {value}/{total} files | {records} records | {rate} records/s',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const shown = { started: false };
  if (bar) process.stderr.write('loading rules…');
  const onProgress = (p: ScanProgress): void => {
    if (!bar) return;
    const payload = {
      records: p.records.toLocaleString('en-US'),
      rate: Math.round(p.records / Math.max(0.001, p.elapsedMs / 1000)).toLocaleString('en-US'),
    };
    if (!shown.started) {
      process.stderr.write('\r\x1b[2K');
      bar.start(p.filesTotal, p.filesDone, payload);
      shown.started = true;
    } else bar.update(p.filesDone, payload);
  };

  // The output file is opened first: a path that cannot be written fails now, not after the scan.
  let fd: number | undefined;
  if (flags.output !== undefined) {
    try {
      fd = openSync(flags.output, 'w');
    } catch (err) {
      process.stderr.write(
        `vigil: cannot write --output ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`,
      );
      return EXIT.usage;
    }
  }
  const result = await scan({
    paths,
    rules: flags.rules ?? [],
    builtin: flags.builtin,
    ...(flags.minLevel ? { minLevel: flags.minLevel } : {}),
    format: flags.inputFormat,
    ...(flags.threads ? { threads: flags.threads } : {}),
    onProgress,
    ...(flags.output !== undefined ? { exclude: [flags.output] } : {}),
    // Machine formats render each hit as it arrives, while the workers still scan.
    ...(flags.format === 'table' ? {} : { render: flags.format === 'csv' ? 'csv' : 'jsonl' }),
  });
  if (shown.started) bar?.stop();
  else if (bar) process.stderr.write('\r\x1b[2K');

  const output = fd;
  // Written synchronously: the scan is over, and nothing else waits for this thread.
  const target: Sink =
    output === undefined
      ? stdout
      : {
          write: (s) => {
            writeAll(output, s);
          },
        };
  const out = buffered(target);
  const color = flags.color ?? (!flags.output && process.stdout.isTTY);
  switch (flags.format) {
    case 'table':
      writeTable(result.detections, out, {
        color,
        ...(!flags.output && process.stdout.isTTY ? { width: process.stdout.columns } : {}),
      });
      break;
    case 'csv':
      writeCsv(result.detections, out, result.rendered);
      break;
    case 'json':
      writeJson(result.detections, out, result.rendered);
      break;
    case 'jsonl':
      writeJsonl(result.detections, out, result.rendered);
      break;
  }
  out.flush();
  if (output !== undefined) closeSync(output);
  // Machine-readable output on stdout keeps stdout clean: the human summary goes to stderr then.
  const summaryOut = flags.format === 'table' || flags.output ? stdout : stderr;
  writeSummary(result, summaryOut, flags.format === 'table' ? color : process.stderr.isTTY);
  if (flags.summary)
    writeFileSync(flags.summary, `${JSON.stringify(summaryJson(result), null, 2)}\n`);

  const unreadable =
    result.inputIssues.length > 0 ||
    result.files.some((f) => f.errors > 0) ||
    result.files.length === 0;
  return unreadable ? EXIT.partial : EXIT.ok;
}

async function runRulesCheck(paths: string[], json: boolean): Promise<number> {
  const report = await checkRules(paths);
  const errors = report.issues
    .filter((i) => i.severity === 'error')
    .map((i) => ({
      file: i.at?.file ?? '',
      line: i.at?.line ?? 0,
      col: i.at?.col ?? 0,
      message: `${i.code}: ${i.message}`,
    }));
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ rules: report.rules, loaded: report.loaded, unsupported: report.unsupported, errors }, null, 2)}\n`,
    );
  } else {
    for (const i of report.issues) {
      const where = i.at ? formatLocation(i.at) : '';
      process.stdout.write(`${where}: ${i.severity} ${i.code}: ${i.message}\n`);
    }
    for (const u of report.unsupported)
      process.stdout.write(`${u.file}: unsupported: ${u.reason}\n`);
    process.stdout.write(
      `${report.rules} rules, ${report.loaded} loaded, ${report.unsupported.length} unsupported, ${errors.length} errors\n`,
    );
  }
  return errors.length > 0 || report.unsupported.length > 0 ? EXIT.partial : EXIT.ok;
}

function program(result: { code: number }): Command {
  const root = new Command('vigil')
    .description('Vigil — open-source Managed Detection and Response')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });

  root
    .command('scan')
    .description(
      'scan EVTX, JSON and log files with Sigma rules and print a timeline of detections',
    )
    .argument('<paths...>', 'files, directories (walked recursively) or zip archives')
    .option('--rules <dirs...>', 'extra Sigma rule files or directories')
    .option('--no-builtin', "do not load Vigil's own rules")
    .addOption(
      new Option('--min-level <level>', 'report detections at or above this level').argParser(
        oneOf('--min-level', LEVELS),
      ),
    )
    .addOption(
      new Option('--format <format>', 'output format: table, csv, json or jsonl')
        .default('table')
        .argParser(oneOf('--format', OUTPUT_FORMATS)),
    )
    .addOption(
      new Option('--input-format <format>', 'force the input format instead of detecting it')
        .default('auto')
        .argParser(oneOf('--input-format', INPUT_FORMATS)),
    )
    .option('--output <file>', 'write the timeline to a file instead of standard output')
    .option('--summary <file>', 'write a JSON summary (files, records, detections, elapsed_s)')
    .addOption(
      new Option('--threads <n>', 'worker threads (default: all cores)').argParser(positiveInt),
    )
    .option('--no-progress', 'never show the progress bar')
    .option('--color', 'force colours')
    .action(async (paths: string[], flags: ScanFlags) => {
      result.code = await runScan(paths, flags);
    });

  const rules = root.command('rules').description('work with Sigma rules');
  rules
    .command('check')
    .description('load rule files or directories and report every problem')
    .argument('<dirs...>', 'rule files or directories')
    .option('--json', 'print a JSON report')
    .action(async (dirs: string[], flags: { json?: boolean }) => {
      result.code = await runRulesCheck(dirs, flags.json ?? false);
    });
  addServerCommands(root, result);
  return root;
}

export async function main(argv: readonly string[]): Promise<number> {
  const result = { code: EXIT.ok as number };
  try {
    await program(result).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(
      `vigil: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT.internal;
  }
  return result.code;
}
