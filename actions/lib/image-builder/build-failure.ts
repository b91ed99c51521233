import {
  type Image,
  type ImagebuilderClient,
  ListWorkflowExecutionsCommand,
  ListWorkflowStepExecutionsCommand,
} from '@aws-sdk/client-imagebuilder';

import { errorMessage } from '../errors';
import type { Logger } from '../logger';

/**
 * Where to look when a build failed, as short phrases: the S3 log location of the image's
 * infrastructure configuration, its CloudWatch log group, and the failed workflow step (Image
 * Builder runs each stage as a workflow; the step's message usually names the SSM Automation or
 * component that broke). The workflow lookup is best effort: older images and the local stand-in have
 * none, and a failure to describe a failure must not hide the failure itself (nor a silent endpoint
 * hold it: `abortSignal` ends the lookup).
 */
export async function describeBuildLogs(image: Image, client: ImagebuilderClient, logger: Logger, abortSignal?: AbortSignal): Promise<string[]> {
  const places: string[] = [];
  const s3 = image.infrastructureConfiguration?.logging?.s3Logs;
  if (s3?.s3BucketName) {
    const prefix = s3.s3KeyPrefix ? `/${s3.s3KeyPrefix.replace(/^\/+/, '')}` : '';
    const config = image.infrastructureConfiguration?.name ? ` (infrastructure configuration ${image.infrastructureConfiguration.name})` : '';
    places.push(`build logs in s3://${s3.s3BucketName}${prefix}${config}`);
  }
  if (image.loggingConfiguration?.logGroupName) places.push(`CloudWatch log group ${image.loggingConfiguration.logGroupName}`);
  if (image.arn) {
    try {
      const step = await findFailedWorkflowStep(client, image.arn, abortSignal);
      if (step) places.push(step);
    } catch (error) {
      logger.debug(`Could not list workflow executions of ${image.arn}: ${errorMessage(error)}`);
    }
  }
  if (places.length === 0) {
    places.push('no S3 logging is configured on the infrastructure configuration; see the image in the Image Builder console');
  }
  return places;
}

async function findFailedWorkflowStep(client: ImagebuilderClient, imageArn: string, abortSignal: AbortSignal | undefined): Promise<string | undefined> {
  const { workflowExecutions = [] } = await client.send(new ListWorkflowExecutionsCommand({ imageBuildVersionArn: imageArn }), { abortSignal });
  const failed = workflowExecutions.find((w) => w.status === 'FAILED');
  if (!failed?.workflowExecutionId) return undefined;
  const where = `${failed.type ?? 'workflow'} workflow execution ${failed.workflowExecutionId}`;
  const { steps = [] } = await client.send(new ListWorkflowStepExecutionsCommand({ workflowExecutionId: failed.workflowExecutionId }), { abortSignal });
  const step = steps.find((s) => s.status === 'FAILED');
  if (step) return `${where}, step ${step.name ?? step.stepExecutionId}: ${step.message ?? 'no message'}`;
  return failed.message ? `${where}: ${failed.message}` : where;
}
