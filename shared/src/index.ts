// `@servus/shared`, the zod-free entry for every side: protocol types and constants, limits, codes,
// site settings. Nothing here loads zod (client frame types are type-only
// re-exports); the server's schemas are the `@servus/shared/schemas` entry.
export { PROTOCOL_VERSION, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, DEFAULT_LIMITS, RECONNECT } from './limits.js';
export type { Limits } from './limits.js';
export { ErrorCode, CloseCode, HTTP_STATUS } from './codes.js';
export { ConversationStatus, AuthorType } from './protocol.js';
export type {
  VisitorContext,
  VisitorFrame,
  AgentFrame,
  VisitorHelloFrame,
  MessageSendFrame,
  AgentMessageSendFrame,
  TypingUpdateFrame,
  ConversationReadFrame,
  ConversationResumeFrame,
  HandoffRequestFrame,
  ConversationRateFrame,
  VisitorIdentifyFrame,
  ConversationCloseFrame,
  VisitorProfileFrame,
  OfflineSubmitFrame,
  ConversationTranscriptFrame,
  AgentHelloFrame,
  QueueSubscribeFrame,
  ConversationSubscribeFrame,
  ConversationUnsubscribeFrame,
  ConversationClaimFrame,
  NoteAddFrame,
  ConversationTransferFrame,
  ConversationResolveFrame,
  ConversationReopenFrame,
  ConversationReleaseFrame,
  AgentStatusFrame,
  Author,
  Suggestion,
  ChatMessage,
  QueueInfo,
  ConversationView,
  ConversationChange,
  WelcomeFrame,
  AckFrame,
  ErrorFrame,
  MessageCreatedFrame,
  MessageDeltaFrame,
  ConversationUpdatedFrame,
  TypingFrame,
  ReadFrame,
  ReplayDoneFrame,
  QueueSnapshotFrame,
  ServerFrame,
  LoggedFrame,
} from './protocol.js';
export type {
  GroupBy,
  Stats as MetricStats,
  Summary as MetricsSummary,
  Histogram,
  Distributions,
  ProactiveRuleStats,
  MetricsGroup,
  MetricsReport,
} from './metrics.js';
export { DEFAULT_WIDGET_COLOR, SITE_LIMITS } from './site-settings.js';
export type { SiteSettings, BusinessHours, LauncherOffset, Weekday } from './site-settings.js';
export { matchesUrlPattern } from './url-pattern.js';
export { cleanText } from './text.js';
