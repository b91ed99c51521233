/**
 * A MODEL of how IAM decides AssumeRoleWithWebIdentity for a GitHub token, for tests only: moto
 * stores a role's trust policy but never evaluates it, so tests read the policy moto holds (as
 * CloudFormation rendered it from the real template) and judge GitHub's claims against it here.
 * It knows what the templates use: Allow statements for sts:AssumeRoleWithWebIdentity from a
 * federated principal, with StringEquals and StringLike conditions (every operator must hold, any
 * value of an operator may match). Any other operator throws rather than being ignored.
 */
import { subjectMatches } from '../../tools/bootstrap/oidc-subjects';

const HOST = 'token.actions.githubusercontent.com';

interface Statement {
  Effect: string;
  Action: string | string[];
  Principal?: { Federated?: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Whether a token with `claims` (aud, sub, …) may assume a role whose trust policy is `policyJson`. */
export function trustAllows(policyJson: string, claims: Record<string, string>): boolean {
  const policy = JSON.parse(policyJson) as { Statement: Statement[] };
  return policy.Statement.some((statement) => {
    const actions = ([] as string[]).concat(statement.Action);
    if (statement.Effect !== 'Allow' || !actions.includes('sts:AssumeRoleWithWebIdentity')) return false;
    if (!statement.Principal?.Federated?.endsWith(`oidc-provider/${HOST}`)) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => {
        const claim = claims[key.replace(`${HOST}:`, '')];
        const values = ([] as string[]).concat(expected);
        if (claim === undefined) return false;
        if (operator === 'StringEquals') return values.includes(claim);
        if (operator === 'StringLike') return values.some((pattern) => subjectMatches(pattern, claim));
        throw new Error(`trustAllows models StringEquals and StringLike only, not ${operator}`);
      }),
    );
  });
}
