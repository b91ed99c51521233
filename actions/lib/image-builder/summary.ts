import { AwsOperationError, errorMessage, PollTimeoutError } from '../errors';
import type { BuildAmiResult } from './build-ami';
import { deltaCounts } from './finding-delta';
import { renderFindings, severityGateVerdict } from './findings';
import { codeAmiIds, collapsed, firstSentence, keyValueTable } from '../markdown';

type BuildAmiOutputName = 'ami-id' | 'image-arn' | 'package-diff-markdown' | 'findings-json' | 'findings-delta-markdown';

/**
 * The outputs of build-ami, by their public (kebab-case) names. `findings-json` carries the gate's
 * verdict and the delta's counts, so the PR's first screenful can state both.
 */
export function buildAmiOutputs(result: BuildAmiResult): Record<BuildAmiOutputName, string> {
  const findings = {
    ...result.findings.report,
    // The patch PR shows the same collapsed CRITICAL/HIGH table as this summary.
    ...(result.findings.notable?.length ? { notable: result.findings.notable } : {}),
    gate: severityGateVerdict(result.findings, result.failOnSeverity),
    ...(result.findingDelta ? { delta: deltaCounts(result.findingDelta) } : {}),
  };
  return {
    'ami-id': result.amiId,
    'image-arn': result.imageArn,
    // Empty when no previous-ami-id was given: "no diff asked" is not "no changes".
    'package-diff-markdown': result.packageDiff?.markdown ?? '',
    'findings-json': JSON.stringify(findings),
    // Empty when no previous-ami-id was given, like the package diff.
    'findings-delta-markdown': result.findingDelta?.markdown ?? '',
  };
}

/** "34 min 12 s". */
export function formatDuration(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

const code = (value: string | undefined) => (value ? `\`${value}\`` : undefined);

/**
 * The job summary of a successful build: the answer first (the new AMI, what it replaces, the
 * severity gate's verdict), then the facts, package diff, findings and CVE delta; the client
 * token, pipeline and wait below the fold.
 */
export function renderBuildSummary(result: BuildAmiResult): string {
  const gate = severityGateVerdict(result.findings, result.failOnSeverity);
  const previous = result.packageDiff?.previousAmiId;
  const lead = `Built \`${result.amiId}\` in ${result.region}${previous ? ` to replace \`${previous}\`` : ''}; severity gate: ${gate.passed === false ? '❌ ' : gate.passed ? '✅ ' : ''}${gate.text}.`;
  const table = keyValueTable([
    ['State', result.status],
    [`AMI (${result.region})`, code(result.amiId)],
    ['Previous AMI', code(previous)],
    ['Image', code(result.imageArn)],
    ['Build duration', formatDuration(result.buildDurationMs)],
  ]);
  const internals = keyValueTable([
    ['Pipeline', code(result.pipelineArn)],
    ['Waited', formatDuration(result.waitedMs)],
    ['Client token', code(result.clientToken)],
  ]);
  const sections = [`## build-ami: the AMI is ${result.status}`, lead, table];
  if (result.packageDiff) sections.push('### Package changes', result.packageDiff.markdown);
  sections.push('### Scan findings', renderFindings(result.findings, result.failOnSeverity));
  if (result.findingDelta) sections.push('### CVE delta', result.findingDelta.markdown);
  sections.push(collapsed('Run details', internals));
  return `${sections.join('\n\n')}\n`;
}

export interface FailureContext {
  pipelineArn?: string;
  imageArn?: string;
  region?: string;
}

/** The job summary of a failed run: the answer (no AMI, and why), what we knew, the state it ended in, and the message (which says what to do, e.g. how to resume). */
export function renderFailureSummary(context: FailureContext, error: unknown): string {
  const state =
    error instanceof AwsOperationError
      ? error.status
      : error instanceof PollTimeoutError
        ? `timed out (last state ${(error.lastObservation as { status?: string } | undefined)?.status ?? 'unknown'})`
        : undefined;
  const table = keyValueTable([
    ['State', state ?? 'failed'],
    ['Image', code(context.imageArn)],
    ['Pipeline', code(context.pipelineArn)],
    ['Region', context.region],
  ]);
  const message = errorMessage(error);
  const ended = !state ? 'build-ami failed' : state.startsWith('timed out') ? `build-ami ${state} waiting for the build` : `the image build ended ${state}`;
  const lead = `**No AMI: ${ended}, so there is nothing to deploy.** ${codeKnownIds(firstSentence(message), context)}`;
  return `## build-ami failed: no AMI\n\n${lead}\n\n${table}\n\n> ${codeKnownIds(message, context).replace(/\n/g, '\n> ')}\n`;
}

/** The message (plain text, an annotation too) with the ARNs of the table and any AMI ID as code spans, as in the table. */
function codeKnownIds(text: string, context: FailureContext): string {
  const arns = [context.imageArn, context.pipelineArn].filter((arn): arn is string => Boolean(arn)).sort((a, b) => b.length - a.length);
  return codeAmiIds(arns.reduce((shown, arn) => shown.split(arn).join(`\`${arn}\``), text));
}
