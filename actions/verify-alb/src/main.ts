import * as core from '@actions/core';

import { createCoreLogger, readInputs, runAction, writeJobSummary } from '../../lib/action/runtime';
import { createAwsClients } from '../../lib/aws/clients';
import { systemClock } from '../../lib/clock';
import { AwsOperationError } from '../../lib/errors';
import { resolveRegion } from '../../lib/region';
import { VERIFY_ALB_INPUT_NAMES, VERIFY_ALB_OUTPUT_NAMES, verifyAlbInputSchema } from '../../lib/verify/inputs';
import { failureMessage, renderVerifyReport } from '../../lib/verify/report';
import { verifyAlb } from '../../lib/verify/verify-alb';

/**
 * verify-alb: checks target health, instance AMIs and the ASG's desired capacity, then samples the
 * app's details.json through the load balancer. Inputs are validated before any AWS call; outputs
 * and the summary are written whether or not the fleet is healthy, then an unhealthy fleet fails
 * the step.
 */
export async function run(): Promise<void> {
  await runAction(async (outputs) => {
    const inputs = readInputs(verifyAlbInputSchema, VERIFY_ALB_INPUT_NAMES);
    const region = resolveRegion(inputs.region, process.env);
    const deps = {
      clients: createAwsClients({ region, userAgentSuffix: 'verify-alb' }),
      logger: createCoreLogger(),
      clock: systemClock,
      fetch: globalThis.fetch,
    };

    const report = await verifyAlb(inputs, deps);
    const markdown = renderVerifyReport(report);
    outputs.set({
      healthy: report.healthy,
      'healthy-targets': report.fleet.healthyTargets,
      'total-targets': report.fleet.totalTargets,
      'served-ami-ids': report.http.summary.servedAmis.map((a) => a.amiId),
      'error-rate': Number(report.http.summary.errorRate.toFixed(4)),
      'report-markdown': markdown,
    });
    await writeJobSummary(markdown);

    if (!report.healthy) {
      throw new AwsOperationError(failureMessage(report), report.target.stackName ?? report.target.targetGroupArn, 'UNHEALTHY');
    }
    core.info(`Fleet healthy: ${report.fleet.healthyTargets} targets on ${report.expectedAmiId}.`);
  }, VERIFY_ALB_OUTPUT_NAMES);
}
