"""War-room chat intake: Slack slash command and message shortcut, Teams outgoing webhook."""
