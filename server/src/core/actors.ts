// Who does something: a visitor (by their token) or an agent (by their session). Every command and
// every committed change names one.

export interface VisitorActor {
  kind: 'visitor';
  id: string;
  siteKey: string;
  name?: string | null;
  /** The proactive rule named in this visit's hello (`context.proactiveRuleId`); a conversation it creates is attributed to it. */
  proactiveRuleId?: string | null;
  /**
   * The visitor's identity was verified (an identify with a valid hash or JWT): a message without a
   * conversation goes to the identity's newest conversation on any device (history across devices).
   * A hint only: access is always checked against the database.
   */
  verified?: boolean;
}

export interface AgentActor {
  kind: 'agent';
  id: string;
  name: string;
  siteKeys: string[];
}

/** An integration writing through the REST API with a token (auth/api-tokens.ts), under its own name. */
export interface IntegrationActor {
  kind: 'integration';
  /** The token's id. */
  id: string;
  name: string;
  siteKeys: string[];
}

export type Actor = VisitorActor | AgentActor | IntegrationActor;

/** An agent as a session knows them: with the email, role and profile the console shows. */
export type SessionAgent = AgentActor & {
  email: string;
  role: 'admin' | 'agent';
  /** The status they chose, kept across reloads and devices (agents.status). */
  status: 'online' | 'away' | 'offline';
  initials: string | null;
  lang: 'de' | 'en' | null;
};
