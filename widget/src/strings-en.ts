// English strings (the shape every language follows).

const en = {
  openChat: 'Open chat',
  closeChat: 'Close chat',
  unread: (n: number) => `${n} unread ${n === 1 ? 'message' : 'messages'}`,
  botSubtitle: 'Our assistant answers right away',
  waiting: (pos: number, min: number | null) =>
    min === null ? `Waiting: you are number ${pos}` : `Waiting: you are number ${pos}, about ${min} ${min === 1 ? 'minute' : 'minutes'}`,
  closedUntil: (when: string) => `We are back ${when}`,
  closed: 'We are closed right now',
  withAgent: (name: string) => `You are chatting with ${name}`,
  resolved: 'This conversation is closed',
  talkToPerson: 'Talk to a person',
  placeholder: 'Write a message…',
  send: 'Send',
  attach: 'Attach a file',
  composerLabel: 'Your message',
  sending: 'Sending…',
  sent: 'Sent',
  read: 'Read',
  failed: 'Not sent.',
  retry: 'Retry',
  outboxFull: 'Too many messages are waiting. Please wait until you are back online.',
  offline: 'Offline. We will send when the connection is back.',
  reconnecting: 'Connecting…',
  typing: (name: string) => `${name} is typing…`,
  you: 'You',
  team: 'Team',
  today: 'Today',
  yesterday: 'Yesterday',
  newMessage: (name: string, text: string) => `New message from ${name}: ${text}`,
  suggestions: 'Suggested questions',
  helped: 'Did this answer your question?',
  yes: 'Yes',
  no: 'No',
};

export type Strings = typeof en;
export default en;
