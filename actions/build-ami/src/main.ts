import { createCoreLogger, readInputs, runAction, writeJobSummary } from '../../lib/action/runtime';
import { createAwsClients } from '../../lib/aws/clients';
import { systemClock } from '../../lib/clock';
import { parseImageBuilderArn } from '../../lib/image-builder/arns';
import { buildAmi } from '../../lib/image-builder/build-ami';
import { severityGateError } from '../../lib/image-builder/findings';
import { buildAmiOutputs, type FailureContext, renderBuildSummary, renderFailureSummary } from '../../lib/image-builder/summary';
import { BUILD_AMI_INPUT_NAMES, BUILD_AMI_OUTPUT_NAMES, buildAmiInputSchema, toBuildAmiInputs } from './inputs';

/**
 * build-ami: start (or resume) an Image Builder build, wait for it, and hand on the AMI, the
 * package diff and the scan findings. Outputs are set before the severity gate can fail the step,
 * and `image-arn` as soon as the build is known, so a later job can resume a wait that failed.
 */
export async function run(): Promise<void> {
  const known: FailureContext = {};
  await runAction(async (outputs) => {
    let result;
    try {
      const inputs = toBuildAmiInputs(readInputs(buildAmiInputSchema, BUILD_AMI_INPUT_NAMES), process.env);
      const { source, region } = inputs;
      Object.assign(known, { region, ...(source.kind === 'pipeline' ? { pipelineArn: source.pipelineArn } : { imageArn: source.imageArn }) });

      // Image Builder is called in the region of the ARN (a pipeline may distribute to other
      // regions); EC2 (the previous AMI) in the target region.
      const imageBuilderRegion = parseImageBuilderArn(source.kind === 'pipeline' ? source.pipelineArn : source.imageArn).region;
      const clients = {
        imageBuilder: createAwsClients({ region: imageBuilderRegion, userAgentSuffix: 'build-ami' }).imageBuilder,
        ec2: createAwsClients({ region, userAgentSuffix: 'build-ami' }).ec2,
      };
      const onImageArn = (imageArn: string) => {
        known.imageArn = imageArn;
        outputs.set({ 'image-arn': imageArn });
      };
      result = await buildAmi({ ...inputs, onImageArn }, { clients, logger: createCoreLogger(), clock: systemClock });
    } catch (error) {
      await writeJobSummary(renderFailureSummary(known, error));
      throw error;
    }

    outputs.set(buildAmiOutputs(result));
    await writeJobSummary(renderBuildSummary(result));
    const gate = severityGateError(result.findings, result.failOnSeverity, result.imageArn);
    if (gate) throw gate;
  }, BUILD_AMI_OUTPUT_NAMES);
}
