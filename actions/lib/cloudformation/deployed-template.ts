import { type CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';

import type { Deps } from '../deps';
import { AwsOperationError } from '../errors';

/**
 * The template the stack runs now, as it was submitted (`TemplateStage: Original`, before any
 * transform), so its Parameters can be checked against a parameters file when the caller keeps
 * the deployed template. GetTemplateSummary would give the parameters directly, but moto does not
 * implement it; GetTemplate works on both.
 */
export async function readDeployedTemplate(stackName: string, deps: Deps<{ cloudFormation: CloudFormationClient }>): Promise<string> {
  const response = await deps.clients.cloudFormation.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
  if (!response.TemplateBody) {
    throw new AwsOperationError(
      `Reading the deployed template failed for stack ${stackName}: GetTemplate returned no body. Pass the template input to deploy a template from the repository.`,
      stackName,
    );
  }
  return response.TemplateBody;
}
