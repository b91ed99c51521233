import * as core from '@actions/core';
import { z } from 'zod';

import { readInputs, runAction } from '../../../actions/lib/action/runtime';
import { AwsOperationError, InputError } from '../../../actions/lib/errors';

jest.mock('@actions/core');
const mocked = jest.mocked(core);

beforeEach(() => jest.resetAllMocks());
afterEach(() => {
  process.exitCode = undefined;
});

describe('runAction', () => {
  it('annotates every finding of an input error on its own line, then fails', async () => {
    const error = new InputError('Parameters file failed for parameters/dev.json: 2 problems', { file: 'parameters/dev.json', line: 3 }, [
      { message: 'unknown key "Foo"', location: { file: 'parameters/dev.json', line: 3 } },
      { message: 'bad AMI', location: { file: 'parameters/dev.json', line: 5, column: 27 } },
    ]);
    await runAction(async () => {
      throw error;
    });
    expect(mocked.error).toHaveBeenCalledWith('unknown key "Foo"', { file: 'parameters/dev.json', startLine: 3, startColumn: undefined });
    expect(mocked.error).toHaveBeenCalledWith('bad AMI', { file: 'parameters/dev.json', startLine: 5, startColumn: 27 });
    // Failed once: no second, unlocated annotation of the same error; the whole list in the log.
    expect(mocked.error).toHaveBeenCalledTimes(2);
    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(mocked.info).toHaveBeenCalledWith(error.message);
    expect(process.exitCode).toBe(1);
  });

  it('annotates a located input error without findings at its location, once', async () => {
    await runAction(async () => {
      throw new InputError('bad file', { file: 'parameters/prod.json', line: 7 });
    });
    expect(mocked.error).toHaveBeenCalledWith('bad file', { file: 'parameters/prod.json', startLine: 7, startColumn: undefined });
    expect(mocked.error).toHaveBeenCalledTimes(1);
    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(1);
  });

  it('reports an operation error as it is', async () => {
    await runAction(async () => {
      throw new AwsOperationError('Image build failed for arn:x: FAILED (disk full). Look at the logs.', 'arn:x', 'FAILED');
    });
    expect(mocked.setFailed).toHaveBeenCalledWith('Image build failed for arn:x: FAILED (disk full). Look at the logs.');
    expect(mocked.error).not.toHaveBeenCalled();
  });

  it('reports a malformed answer (HTML where JSON was due) as the endpoint answering badly, not as a bug', async () => {
    await runAction(async () => {
      throw Object.assign(new SyntaxError("Unexpected token '<', \"<html><bod\"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object."), {
        $metadata: { httpStatusCode: 200 },
      });
    });
    expect(mocked.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^AWS \(or whatever answers at its endpoint\) sent an answer that is not a valid AWS answer, again after the retries: Unexpected token/));
    expect(mocked.setFailed).not.toHaveBeenCalledWith(expect.stringContaining('Unexpected error'));
  });

  it('sets every declared output it was not given, empty, on failure and on success', async () => {
    await runAction(async () => {
      throw new InputError('bad input');
    }, ['ami-id', 'image-arn']);
    expect(mocked.setOutput.mock.calls).toEqual([
      ['ami-id', ''],
      ['image-arn', ''],
    ]);
    mocked.setOutput.mockClear();
    await runAction(async (outputs) => {
      outputs.declare(['extra']);
      outputs.set({ 'ami-id': 'ami-0123456789abcdef0', skipped: undefined });
    }, ['ami-id', 'image-arn']);
    expect(mocked.setOutput.mock.calls).toEqual([
      ['ami-id', 'ami-0123456789abcdef0'],
      ['image-arn', ''],
      ['extra', ''],
    ]);
  });

  it('still fails on a thrown non-Error, as an unexpected error', async () => {
    await runAction(async () => {
      throw { weird: true };
    });
    expect(mocked.setFailed).toHaveBeenCalledWith('Unexpected error: {"weird":true}');
  });
});

describe('readInputs', () => {
  const schema = z.object({ 'timeout-minutes': z.coerce.number().int().min(1).max(60), mode: z.enum(['deploy', 'preview']).default('deploy') });

  it('treats an empty input as absent, so defaults apply', () => {
    const values: Record<string, string> = { 'timeout-minutes': '10', mode: '  ' };
    expect(readInputs(schema, ['timeout-minutes', 'mode'], (n) => values[n] ?? '')).toEqual({ 'timeout-minutes': 10, mode: 'deploy' });
  });

  it('names every bad input with its value and says where to fix it', () => {
    const values: Record<string, string> = { 'timeout-minutes': '-3', mode: 'yolo' };
    expect(() => readInputs(schema, ['timeout-minutes', 'mode'], (n) => values[n] ?? '')).toThrow(
      /input "timeout-minutes" = "-3": .*; input "mode" = "yolo": .*Fix them in the workflow step's "with:" block\./,
    );
  });
});
