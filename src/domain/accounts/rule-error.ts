/** A command refused by a rule: `field` names the input at fault (`tariff.factor`, `from`...). */
export class AccountRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AccountRuleError';
  }
}
