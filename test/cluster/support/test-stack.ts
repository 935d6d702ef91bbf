/**
 * A stack the tests deploy to the real cluster with the real `pulumi up`: a checkout of its own
 * (a copy of this one, so that its Pulumi.<stack>.yaml never lands in the repository), a state
 * folder and a passphrase, and its config. Each operation runs in a child process
 * (stack-operation.ts) from the checkout it names; its output is kept for failure messages.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunningCluster } from './cluster-process.js';
import type { Operation, OperationRequest, OperationResult, ProgramName } from './stack-operation.js';
import { sourceCopy, type SourceCopy } from './source-copy.js';

export interface OperationRun {
  code: number | null;
  /** The CLI's output, and the error of a failed operation. */
  log: string;
  result?: OperationResult;
}

export class TestStack {
  readonly stateDir = mkdtempSync(path.join(os.tmpdir(), 'books-gateway-test-state-'));
  private checkout: SourceCopy = sourceCopy();
  private readonly copies: SourceCopy[] = [this.checkout];
  /** Every operation's output, in order: the first lines of a failure message. */
  readonly logs: string[] = [];

  constructor(
    private readonly cluster: RunningCluster,
    readonly name: string,
    private config: Record<string, string>,
    private secretKeys: string[] = [],
    private readonly program: ProgramName = 'system',
  ) {}

  /** The checkout operations run from. */
  get root(): string {
    return this.checkout.root;
  }

  /** Sets config keys (project keys without the `books-gateway:` prefix), as `pulumi config set` would. */
  configure(values: Record<string, string>, secretKeys: string[] = []): void {
    this.config = { ...this.config, ...values };
    this.secretKeys = [...new Set([...this.secretKeys, ...secretKeys])];
  }

  /** Runs the next operations from another checkout: a copy at another path, with `change` applied. */
  moveTo(change?: { file: string; appended: string }): void {
    this.checkout = sourceCopy(change);
    this.copies.push(this.checkout);
  }

  /** Runs one operation; resolves with its exit code, output and result, failing or not. */
  async run(op: Operation, extra: Pick<OperationRequest, 'expectNoChanges'> = {}): Promise<OperationRun> {
    const qualify = (key: string) => (key.includes(':') ? key : `books-gateway:${key}`);
    const request: OperationRequest = {
      op,
      program: this.program,
      stack: this.name,
      stateDir: this.stateDir,
      values: Object.fromEntries(Object.entries(this.config).map(([key, value]) => [qualify(key), value])),
      secretKeys: this.secretKeys.map(qualify),
      kubeconfig: this.cluster.kubeconfig,
      dockerConfig: this.cluster.dockerConfig,
      ...extra,
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(this.root, 'test/cluster/support/stack-operation.ts'), JSON.stringify(request)],
      {
        cwd: this.root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    this.logs.push(`== ${op}\n${log}`);
    const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
    return { code, log, result: line ? (JSON.parse(line.slice('RESULT '.length)) as OperationResult) : undefined };
  }

  /** Runs one operation that must succeed; rejects with its output otherwise. */
  async expect(op: Operation, extra: Pick<OperationRequest, 'expectNoChanges'> = {}): Promise<OperationResult> {
    const run = await this.run(op, extra);
    if (run.code !== 0 || !run.result)
      throw new Error(`pulumi ${op} of ${this.name} failed (exit ${String(run.code)}):\n${run.log.split('\n').slice(-60).join('\n')}`);
    return run.result;
  }

  /** Removes the checkouts and the state (what was deployed is the caller's to destroy first). */
  remove(): void {
    for (const copy of this.copies) copy.remove();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
