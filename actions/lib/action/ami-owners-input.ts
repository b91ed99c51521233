import { z } from 'zod';

import { AMI_OWNER_PATTERN } from '../ami-policy';

/**
 * The `ami-owners` input of update-app-stack and build-ami: comma-separated 12-digit account IDs
 * and `self`, as resolve-environment prints the wiring's amiOwners. Absent: the default (`self`).
 */
export const amiOwnersInput = z
  .string()
  .transform((v) => v.split(',').map((o) => o.trim()))
  .refine((owners) => owners.every((o) => AMI_OWNER_PATTERN.test(o)), {
    message: 'must be a comma-separated list of 12-digit AWS account IDs and self (the account the stacks live in), e.g. self,137112412989; owner aliases such as amazon are not accepted, name the account',
  })
  .optional();
