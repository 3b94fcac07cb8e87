/** One backend's answer to "are you there?", as readiness asks it. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}
