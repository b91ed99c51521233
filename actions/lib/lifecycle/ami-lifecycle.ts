import {
  DeregisterImageCommand,
  type EC2Client,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  type Image,
  paginateDescribeImages,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';

import type { Deps } from '../deps';
import { IMAGE_BUILDER_ARN_TAG } from '../image-builder/previous-image';
import { codeSpan, markdownTable } from '../markdown';
import type { RetirableAmi, RetirementPlan } from './retirement-plan';

/**
 * The pipeline's images in a region: AMIs this account owns that carry Image Builder's
 * `Ec2ImageBuilderArn` tag. Deprecated and disabled ones included (a half-retired image is still
 * one). Nothing else is ever a candidate: an AMI someone made by hand is not the pipeline's to delete.
 */
export async function readPipelineImages(ec2: EC2Client): Promise<Image[]> {
  const images: Image[] = [];
  const request = { Owners: ['self'], Filters: [{ Name: 'tag-key', Values: [IMAGE_BUILDER_ARN_TAG] }], IncludeDeprecated: true, IncludeDisabled: true };
  for await (const page of paginateDescribeImages({ client: ec2 }, request)) images.push(...(page.Images ?? []));
  return images;
}

/** Which AMI each instance that could still run (or be started again) was launched from. */
export async function readInstanceAmis(ec2: EC2Client): Promise<Map<string, string[]>> {
  const byAmi = new Map<string, string[]>();
  const request = { Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] };
  for await (const page of paginateDescribeInstances({ client: ec2 }, request)) {
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if (!instance.ImageId || !instance.InstanceId) continue;
      byAmi.set(instance.ImageId, [...(byAmi.get(instance.ImageId) ?? []), instance.InstanceId]);
    }
  }
  return byAmi;
}

/**
 * Turns on deregistration protection for every failback target of the plan that lacks it, so no
 * cleanup (ours or a hand-written one) can delete the way back. Returns the AMIs it protected now.
 */
export async function protectFailbackTargets(plan: RetirementPlan, images: readonly Image[], deps: Deps<{ ec2: EC2Client }>): Promise<string[]> {
  const protectedNow: string[] = [];
  for (const kept of plan.kept.filter((k) => k.failbackTarget)) {
    const image = images.find((i) => i.ImageId === kept.amiId);
    if (image?.DeregistrationProtection?.startsWith('enabled')) continue;
    await deps.clients.ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: kept.amiId }));
    deps.logger.info(`${plan.region}: deregistration protection on for ${kept.amiId} (${kept.reasons.join('; ')}).`);
    protectedNow.push(kept.amiId);
  }
  return protectedNow;
}

/**
 * Retires images: deprecates each (so nothing new launches from it by name or by a search that
 * hides deprecated images), then deregisters it with its snapshots (DeleteAssociatedSnapshots),
 * one image at a time so a failure stops with the rest untouched. Only ever called with images a
 * person approved in a merged plan and that are still retirable now.
 */
export async function retireImages(region: string, amis: readonly RetirableAmi[], deps: Deps<{ ec2: EC2Client }>): Promise<string[]> {
  const retired: string[] = [];
  for (const ami of amis) {
    // AWS wants DeprecateAt in the future; a minute ahead is "now" for every launch that follows.
    await deps.clients.ec2.send(new EnableImageDeprecationCommand({ ImageId: ami.amiId, DeprecateAt: new Date(deps.clock.now() + 60_000) }));
    await deps.clients.ec2.send(new DeregisterImageCommand({ ImageId: ami.amiId, DeleteAssociatedSnapshots: true }));
    deps.logger.info(`${region}: retired ${ami.amiId} (${ami.name ?? 'no name'}, ${ami.ageDays} days old): deprecated, then deregistered with its snapshots.`);
    retired.push(ami.amiId);
  }
  return retired;
}

/**
 * The report (the job summary and the retirement PR's body): the answer first (what may go, that
 * nothing was deleted, what stays protected), the rule it followed, then per region what stays and
 * why and what may go.
 */
export function renderLifecycleReport(plans: readonly RetirementPlan[], protectedNow: ReadonlySet<string>, text: { heading: string; rule: string }): string {
  const retirable = plans.flatMap((p) => p.retirable.map((r) => r.amiId));
  const kept = plans.reduce((n, p) => n + p.kept.length, 0);
  const targets = plans.reduce((n, p) => n + p.kept.filter((k) => k.failbackTarget).length, 0);
  const protection = `${targets} failback target(s) under deregistration protection${protectedNow.size ? ` (${protectedNow.size} turned on now)` : ''}`;
  const lead = retirable.length
    ? `**${retirable.length} pipeline AMI(s) nothing needs may be retired: ${codeList(retirable)}. Nothing was deleted: merging this proposal lets the next run retire them.** ${kept} kept, ${protection}.`
    : `**Nothing to retire: every pipeline AMI is still needed (${kept} kept). Nothing was deleted.** ${protection[0].toUpperCase()}${protection.slice(1)}.`;
  const parts = [text.heading, lead, text.rule];
  for (const plan of plans) {
    parts.push(`### ${plan.region}: ${plan.kept.length} kept, ${plan.retirable.length} retirable`);
    parts.push(
      plan.kept.length
        ? markdownTable(
            ['Kept AMI', 'Name', 'Created', 'Why', 'Deregistration protection'],
            // Names are identifiers too (a promoted copy's name holds its source's ID): code spans, copied whole.
            plan.kept.map((k) => [`\`${k.amiId}\``, codeSpan(k.name ?? ''), k.creationDate ?? '', k.reasons.join('; '), k.failbackTarget ? (protectedNow.has(k.amiId) ? 'turned on now' : 'on') : '—']),
          )
        : '_No pipeline image is kept._',
    );
    parts.push(
      plan.retirable.length
        ? markdownTable(['Retirable AMI', 'Name', 'Created', 'Age (days)'], plan.retirable.map((r) => [`\`${r.amiId}\``, codeSpan(r.name ?? ''), r.creationDate ?? '', r.ageDays]))
        : '_Nothing to retire._',
    );
    if (plan.missingFailbackTargets.length) {
      parts.push(`⚠️ Failback targets git names that are not pipeline images in ${plan.region} (deregistered, or not built by the pipeline): ${codeList(plan.missingFailbackTargets)}.`);
    }
  }
  return parts.join('\n\n');
}

/** One approved AMI in retire-amis' summary. */
export interface RetirementRow {
  region: string;
  amiId: string;
  outcome: 'retired' | 'would retire' | 'skipped';
  why: string;
}

/** retire-amis' job summary: what it retired (or, in a dry run, would), what it skipped and why. */
export function renderRetirementSummary(rows: readonly RetirementRow[], deleting: boolean): string {
  const heading = deleting ? '## AMI retirement' : '## AMI retirement (dry run: nothing changed)';
  const of = (outcome: RetirementRow['outcome']) => rows.filter((r) => r.outcome === outcome).map((r) => r.amiId);
  const skipped = of('skipped');
  const skippedText = skipped.length ? ` Skipped ${skipped.length}, not retirable now: ${codeList(skipped)} (why: below).` : '';
  let lead: string;
  if (rows.length === 0) lead = '**Nothing to retire: the merged proposal lists no AMI.**';
  else if (deleting) lead = `**Retired ${of('retired').length} AMI(s) the merged proposal listed${of('retired').length ? `: ${codeList(of('retired'))}, each deprecated, then deregistered with its snapshots` : ''}.**${skippedText}`;
  else lead = `**Dry run: nothing was deleted. ${of('would retire').length} AMI(s) would be retired${of('would retire').length ? ` (${codeList(of('would retire'))})` : ''}; deleting takes \`delete: true\`.**${skippedText}`;
  const table = rows.length ? markdownTable(['Region', 'AMI', 'Outcome', 'Why'], rows.map((r) => [r.region, `\`${r.amiId}\``, r.outcome, r.why])) : '';
  return [heading, lead, table].filter(Boolean).join('\n\n');
}

function codeList(ids: readonly string[]): string {
  return ids.map((id) => `\`${id}\``).join(', ');
}
