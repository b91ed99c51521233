import { Timeline } from '../../../local/cycle/timeline';
import { wrapNote } from '../../../local/cycle/wrap';

describe('wrapNote', () => {
  const indent = ' '.repeat(8);

  it('wraps a long note at word boundaries, continuation lines under the note text', () => {
    const text = 'CloudFormation rolled back the update of dev to ami-0fedcba9876543210; dev runs ami-0123456789abcdef0. Git records it: 0123456789ab on the default branch.';
    const lines = wrapNote(text, indent, 60);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    for (const line of lines) expect(line.startsWith(indent)).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(text);
  });

  it('hangs the continuation under the text after a ✗ marker', () => {
    const lines = wrapNote(`✗ ${'word '.repeat(20).trim()}`, indent, 50);
    expect(lines[0].startsWith(`${indent}✗ word`)).toBe(true);
    expect(lines[1].startsWith(`${indent}  word`)).toBe(true);
  });

  it('keeps an ID longer than the line whole, on its own line', () => {
    const arn = `arn:aws:imagebuilder:us-east-1:123456789012:image/${'x'.repeat(80)}/1.0.0/1`;
    const lines = wrapNote(`image ${arn} failed`, indent, 60);
    expect(lines).toContain(`${indent}${arn}`);
  });

  it('leaves a short note alone', () => {
    expect(wrapNote('moto http://127.0.0.1:5000', indent, 100)).toEqual([`${indent}moto http://127.0.0.1:5000`]);
  });
});

describe('Timeline output', () => {
  it('wraps notes to its width and says a failure reason once, under the phase', async () => {
    const lines: string[] = [];
    const timeline = new Timeline((line) => lines.push(line), 70);
    const reason = 'update-app-stack failed, but not with a message naming parameters/dev.json and InstanceType, which the PR check must say';
    await expect(
      timeline.phase('update-app-stack mode=preview: refuses the file', 'moto', async () => {
        throw new Error(reason);
      }),
    ).rejects.toThrow(reason);
    expect(lines[0].startsWith('✗  1  update-app-stack mode=preview: refuses the file')).toBe(true);
    const notes = lines.slice(1);
    for (const line of notes) expect(line.length).toBeLessThanOrEqual(70);
    expect(notes.map((l) => l.trim()).join(' ')).toBe(`✗ ${reason}`);
    expect(timeline.failedPhase()?.title).toBe('update-app-stack mode=preview: refuses the file');
  });
});

describe('wrapNote: what it leaves alone', () => {
  it('keeps the spacing of a line that fits (aligned sample rows)', () => {
    const row = '2026-12-01T15:47:39.051Z  200   12 ms  ami-0123456789abcdef0  i-0123456789abcdef0';
    expect(wrapNote(row, '        ', 120)).toEqual([`        ${row}`]);
  });

  it('wraps nothing when the width is unbounded (output that is not a terminal)', () => {
    const long = 'word '.repeat(100).trim();
    expect(wrapNote(long, '  ', Number.POSITIVE_INFINITY)).toEqual([`  ${long}`]);
  });
});
