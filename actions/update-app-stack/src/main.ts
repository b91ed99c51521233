import { createCoreLogger, readInputs, runAction, writeJobSummary } from '../../lib/action/runtime';
import { createAwsClients } from '../../lib/aws/clients';
import { createS3Client } from '../../lib/aws/s3-client';
import { systemClock } from '../../lib/clock';
import { createGreenVerifier } from '../../lib/cloudformation/green-verifier';
import { createUpdateReport, updateAppStack, type UpdateReport } from '../../lib/cloudformation/update-app-stack';
import { renderUpdateSummary, updateAppStackOutputs } from '../../lib/cloudformation/update-summary';
import { errorMessage } from '../../lib/errors';
import { isSlotsTemplateFile, updateSlotsStack } from '../../lib/slots/slots-update';
import { toUpdateAppStackInputs, UPDATE_APP_STACK_INPUT_NAMES, UPDATE_APP_STACK_OUTPUT_NAMES, updateAppStackInputSchema } from './inputs';

/**
 * update-app-stack: validate the parameters file, create an UPDATE change set for the app stack,
 * show it, and (mode deploy) execute it and follow the stack to its end. Outputs and the summary
 * are written on every path, failures included (an input error too: every output empty), so a
 * later step can read `stack-status`.
 */
export async function run(): Promise<void> {
  await runAction(async (outputs) => {
    const inputs = toUpdateAppStackInputs(readInputs(updateAppStackInputSchema, UPDATE_APP_STACK_INPUT_NAMES), process.env);
    const { cloudFormation, ec2, elbv2, autoScaling, cloudWatch, awsClock } = createAwsClients({ region: inputs.region, userAgentSuffix: 'update-app-stack' });
    const s3 = createS3Client({ region: inputs.region, userAgentSuffix: 'update-app-stack' });
    const report: UpdateReport = createUpdateReport(inputs, systemClock.now());
    const { templateFile, slots } = inputs;
    try {
      if (inputs.mode === 'deploy' && templateFile !== undefined && slots !== undefined && (await isSlotsTemplateFile(templateFile))) {
        const deps = { clients: { cloudFormation, ec2, elbv2, autoScaling, cloudWatch, awsClock, s3 }, logger: createCoreLogger(), clock: systemClock, fetch: globalThis.fetch };
        await updateSlotsStack({ ...inputs, templateFile, slots }, deps, report);
      } else {
        const logger = createCoreLogger();
        // Strategy replace: green is verified inside the rollback-trigger window, blue still there.
        // Not for a failback: the AMI it leaves failed already, so cancelling would keep users on it.
        const greenVerifier =
          inputs.mode === 'deploy' && slots !== undefined && !slots.failback
            ? createGreenVerifier(
                { stackName: inputs.stackName, region: inputs.region, url: slots.verifyUrl, path: slots.verifyPath, watchSeconds: slots.proveSeconds, maxErrorRate: slots.maxErrorRate },
                { clients: { cloudFormation, ec2, elbv2, autoScaling }, logger, clock: systemClock, fetch: globalThis.fetch },
              )
            : undefined;
        await updateAppStack(inputs, { clients: { cloudFormation, ec2, awsClock, s3 }, logger, clock: systemClock, greenVerifier }, report);
      }
    } catch (error) {
      outputs.set(updateAppStackOutputs(report));
      await writeJobSummary(renderUpdateSummary(report, errorMessage(error)));
      throw error;
    }
    outputs.set(updateAppStackOutputs(report));
    await writeJobSummary(renderUpdateSummary(report));
  }, UPDATE_APP_STACK_OUTPUT_NAMES);
}
